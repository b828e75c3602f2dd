using SidecarKit;

namespace Golden.Shapes;

/// <summary>Polymorphism: an abstract base with two cases (one pinning its tag), a concrete base with one.</summary>
[SidecarContract("shapes")]
public partial interface IShapes
{
    Task<Shape> DrawAsync(Shape shape, Label? caption, CancellationToken ct = default);
}

[SidecarDerivedType(typeof(Circle), "circle")]
[SidecarDerivedType(typeof(Square), "square", Tag = 7)]
public abstract record Shape(string Name);

public sealed record Circle(string Name, double Radius) : Shape(Name);

public sealed record Square(string Name, double Side) : Shape(Name);

[SidecarDerivedType(typeof(BoldLabel), "bold")]
public record Label(string Text);

public sealed record BoldLabel(string Text, int Weight) : Label(Text);
