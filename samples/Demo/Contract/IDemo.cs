using System.Collections.Immutable;
using SidecarKit;

namespace SidecarKit.Samples.Demo;

/// <summary>The demo contract every transport and language is proven on (see CONFORMANCE.md).</summary>
[SidecarContract("demo")]
public partial interface IDemo
{
    /// <summary>Returns <c>a + b</c>; overflow is an error, not a wrap.</summary>
    Task<int> AddAsync(int a, int b, CancellationToken ct = default);

    /// <summary>Returns the person unchanged. Idempotent: a supervised or pooled call may be tried again.</summary>
    [SidecarMethod(Idempotent = true)]
    Task<Person> EchoAsync(Person person, CancellationToken ct = default);

    /// <summary>Returns <c>dividend / divisor</c>; divisor 0 fails with code -32010.</summary>
    [SidecarError(DemoErrors.DivisionByZero, "division by zero")]
    Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct = default);

    /// <summary>Streams 1, 2, …, <paramref name="to"/>.</summary>
    IAsyncEnumerable<int> CountAsync(int to, CancellationToken ct = default);

    /// <summary>Waits <paramref name="milliseconds"/>, honouring cancellation, then returns "slept".</summary>
    Task<string> SleepAsync(int milliseconds, CancellationToken ct = default);

    /// <summary>Returns <paramref name="size"/> bytes, byte i = i % 256.</summary>
    Task<byte[]> BlobAsync(int size, CancellationToken ct = default);

    /// <summary>One-way: the sidecar writes the message to its log.</summary>
    void Log(string message);

    /// <summary>The process exits at once with <paramref name="code"/>.</summary>
    Task ExitAsync(int code);

    /// <summary>Reports progress to the parent, asks it to confirm, and returns <paramref name="steps"/> if it did.</summary>
    [SidecarError(DemoErrors.DeclinedByParent, "declined by parent")]
    Task<int> WorkAsync(int steps, CancellationToken ct = default);

    /// <summary>Client streaming: the sum of the values the caller streams (0 for none).</summary>
    Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Bidirectional streaming: each line back as it arrives, after <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, CancellationToken ct = default);

    /// <summary>A polymorphic parameter: the area of a circle or a rectangle.</summary>
    Task<double> AreaAsync(Shape shape, CancellationToken ct = default);

    /// <summary>Reports progress 1…<paramref name="steps"/> (before it answers), then returns <paramref name="steps"/>.</summary>
    Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct = default);

    /// <summary>A Stream parameter, sent in chunks: "length:sha256" of what arrived.</summary>
    Task<string> UploadAsync(Stream data, CancellationToken ct = default);

    /// <summary>A Stream result, received in chunks: <paramref name="size"/> bytes, byte i = i % 256.</summary>
    Task<Stream> DownloadAsync(long size, CancellationToken ct = default);

    /// <summary>Returns the sample unchanged: the newer wire types (dates, times, big integers, sets, immutable collections, keyed maps).</summary>
    Task<Sample> SampleAsync(Sample sample, CancellationToken ct = default);
}

/// <summary>The callback contract: the sidecar calls these on its parent, over the same connection.</summary>
[SidecarContract("demoEvents")]
public partial interface IDemoEvents
{
    /// <summary>Progress of a task, in percent.</summary>
    void Progress(string task, int percent);

    /// <summary>Asks the parent a yes/no question.</summary>
    Task<bool> ConfirmAsync(string question, CancellationToken ct = default);
}

/// <summary>A person.</summary>
public sealed record Person(string Name, int Age, IReadOnlyList<string> Tags, Address? Address, DateTimeOffset? Born);

/// <summary>An address.</summary>
public sealed record Address(string Street, string City);

/// <summary>A shape: a circle or a rectangle, told apart on the wire by its discriminator (<c>"$type"</c>; a <c>oneof</c> in protobuf).</summary>
[SidecarDerivedType(typeof(Circle), "circle")]
[SidecarDerivedType(typeof(Rectangle), "rectangle")]
public abstract record Shape(string Name);

/// <summary>A circle.</summary>
public sealed record Circle(string Name, double Radius) : Shape(Name);

/// <summary>A rectangle.</summary>
public sealed record Rectangle(string Name, double Width, double Height) : Shape(Name);

/// <summary>The newer wire types, each once (docs/protocol.md, section 6, has their conventions; docs/grpc.md their protobuf types).</summary>
public sealed record Sample(
    DateOnly Day,
    TimeOnly At,
    Int128 Big,
    UInt128 Unsigned,
    Half Ratio,
    Uri Link,
    Version Release,
    HashSet<string> Tags,
    ImmutableArray<int> Scores,
    ImmutableDictionary<string, int> Counts,
    Dictionary<int, string> ById,
    Dictionary<Guid, int> ByGuid)
{
    /// <summary>A required init member besides the positional ones.</summary>
    public required string Note { get; init; }
}
