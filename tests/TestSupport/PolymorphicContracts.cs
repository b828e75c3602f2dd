using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// Polymorphism (<c>[SidecarDerivedType]</c>): an abstract base with three cases (one pinning its tag, one holding shapes
/// itself), a concrete base with one case, in lists, nullable, nested.
/// </summary>
[SidecarContract("shapes")]
public partial interface IShapes
{
    Task<Shape> EchoAsync(Shape shape, CancellationToken ct = default);

    Task<List<Shape>> EchoAllAsync(List<Shape> shapes, CancellationToken ct = default);

    Task<Shape?> MaybeAsync(Shape? shape, CancellationToken ct = default);

    Task<List<Shape?>> SparseAsync(List<Shape?> shapes, CancellationToken ct = default);

    Task<Label> LabelAsync(Label label, CancellationToken ct = default);

    Task<Canvas> CanvasAsync(Canvas canvas, CancellationToken ct = default);

    /// <summary>Answers an instance of a type derived from <see cref="Shape"/> that the server was given.</summary>
    Task<Shape> MakeAsync(string name, CancellationToken ct = default);
}

/// <summary>An abstract base: only its declared cases travel, each with its discriminator.</summary>
[SidecarDerivedType(typeof(Circle), "circle")]
[SidecarDerivedType(typeof(Square), "square")]
[SidecarDerivedType(typeof(Group), "group", Tag = 110)]
public abstract record Shape(string Name);

public sealed record Circle(string Name, double Radius) : Shape(Name);

public sealed record Square(string Name, double Side) : Shape(Name);

/// <summary>A case that holds shapes itself (polymorphic all the way down).</summary>
public sealed record Group(string Name, List<Shape> Members) : Shape(Name)
{
    public bool Equals(Group? other) => other is not null && Name == other.Name && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => Name.GetHashCode();
}

/// <summary>A concrete base: itself (without a discriminator in JSON and MessagePack) or its one declared case.</summary>
[SidecarDerivedType(typeof(BoldLabel), "bold")]
public record Label(string Text);

public sealed record BoldLabel(string Text, int Weight) : Label(Text);

/// <summary>Shapes as members: required, nullable, in a list.</summary>
public sealed record Canvas(Shape Background, Shape? Highlight, List<Label> Labels)
{
    public bool Equals(Canvas? other) => other is not null && Background == other.Background && Highlight == other.Highlight && Labels.SequenceEqual(other.Labels);

    public override int GetHashCode() => Background.GetHashCode();
}

/// <summary>Echoes; makes a shape with the factory it is given (a derived type the contract does not declare, in the test).</summary>
public sealed class ShapesService(Func<string, Shape>? make = null) : IShapes
{
    public Task<Shape> EchoAsync(Shape shape, CancellationToken ct) => Task.FromResult(shape);

    public Task<List<Shape>> EchoAllAsync(List<Shape> shapes, CancellationToken ct) => Task.FromResult(shapes);

    public Task<Shape?> MaybeAsync(Shape? shape, CancellationToken ct) => Task.FromResult(shape);

    public Task<List<Shape?>> SparseAsync(List<Shape?> shapes, CancellationToken ct) => Task.FromResult(shapes);

    public Task<Label> LabelAsync(Label label, CancellationToken ct) => Task.FromResult(label);

    public Task<Canvas> CanvasAsync(Canvas canvas, CancellationToken ct) => Task.FromResult(canvas);

    public Task<Shape> MakeAsync(string name, CancellationToken ct) => Task.FromResult(make?.Invoke(name) ?? new Circle(name, 1));
}

/// <summary>The round trips every transport runs through its generated proxy.</summary>
public static class ShapesSamples
{
    public static Circle Circle => new("c", 1.5);

    public static Square Square => new("s", 2);

    public static Group Group => new("g", [new Circle("inner", 0.5), new Group("empty", [])]);

    public static Canvas Canvas => new(Square, null, [new Label("plain"), new BoldLabel("loud", 700)]);

    public static async Task RoundTripAllAsync(IShapes shapes)
    {
        Assert.Equal(Circle, await shapes.EchoAsync(Circle));
        Assert.IsType<Circle>(await shapes.EchoAsync(Circle));
        Assert.Equal(Square, await shapes.EchoAsync(Square));
        Assert.Equal(Group, await shapes.EchoAsync(Group));
        Assert.Equal([Circle, Square, Group], await shapes.EchoAllAsync([Circle, Square, Group]));
        Assert.Empty(await shapes.EchoAllAsync([]));
        Assert.Null(await shapes.MaybeAsync(null));
        Assert.Equal(Square, await shapes.MaybeAsync(Square));
        Assert.Equal([Circle, null, Group], await shapes.SparseAsync([Circle, null, Group]));
        Label plain = await shapes.LabelAsync(new Label("plain"));
        Assert.Equal(typeof(Label), plain.GetType());
        Assert.Equal(new Label("plain"), plain);
        Label bold = await shapes.LabelAsync(new BoldLabel("loud", 700));
        Assert.Equal(new BoldLabel("loud", 700), Assert.IsType<BoldLabel>(bold));
        Assert.Equal(Canvas, await shapes.CanvasAsync(Canvas));
        Canvas full = new(Circle, Group, []);
        Assert.Equal(full, await shapes.CanvasAsync(full));
        Assert.Equal(new Circle("made", 1), await shapes.MakeAsync("made"));
    }
}
