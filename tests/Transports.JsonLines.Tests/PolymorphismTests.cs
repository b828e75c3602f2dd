using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Wire;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// Polymorphism ([SidecarDerivedType]) over JSON-RPC: through the generated proxy, the JSON as docs/protocol.md writes it
/// ("$type" first, then the case's members; a concrete base itself without one), "$type" read anywhere in the object, and
/// the errors: an unknown discriminator, none for an abstract base, an undeclared derived instance.
/// </summary>
public class PolymorphismTests
{
    /// <summary>Derived from the contract's base in an assembly the generator did not see, and not declared.</summary>
    private sealed record Triangle(string Name) : Shape(Name);

    private static RpcHandlerTable Handlers(Func<string, Shape>? make = null) => new RpcHandlerTable().AddContract<IShapes>(new ShapesService(make));

    [Fact]
    public async Task Every_case_round_trips_through_the_proxy()
    {
        await using ConnectionPair pair = ConnectionPair.Create(Handlers());
        await ShapesSamples.RoundTripAllAsync(pair.Client.GetClient<IShapes>());
    }

    private static async Task<JsonElement> Call(string method, string paramsJson)
    {
        await using var raw = new RawJsonServer(Handlers());
        return await raw.RoundTripAsync($$"""{"jsonrpc":"2.0","id":1,"method":"shapes.{{method}}","params":{{paramsJson}}}""");
    }

    private static async Task<string> Result(string method, string paramsJson)
    {
        JsonElement r = await Call(method, paramsJson);
        Assert.True(r.TryGetProperty("result", out JsonElement result), r.ToString());
        return result.GetRawText();
    }

    [Theory]
    [InlineData("echo", """{"shape":{"$type":"circle","name":"c","radius":1.5}}""", """{"$type":"circle","name":"c","radius":1.5}""")]
    [InlineData("echo", """{"shape":{"name":"c","radius":1.5,"$type":"circle"}}""", """{"$type":"circle","name":"c","radius":1.5}""")]   // read anywhere
    [InlineData("echo", """{"shape":{"$type":"group","name":"g","members":[{"$type":"square","name":"s","side":2},{"members":[],"$type":"group","name":"e"}]}}""",
        """{"$type":"group","name":"g","members":[{"$type":"square","name":"s","side":2},{"$type":"group","name":"e","members":[]}]}""")]
    [InlineData("echoAll", """{"shapes":[{"$type":"circle","name":"a","radius":1},{"$type":"square","name":"b","side":3}]}""",
        """[{"$type":"circle","name":"a","radius":1},{"$type":"square","name":"b","side":3}]""")]
    [InlineData("maybe", """{"shape":null}""", "null")]
    [InlineData("label", """{"label":{"text":"plain"}}""", """{"text":"plain"}""")]                                    // the concrete base itself: no "$type"
    [InlineData("label", """{"label":{"$type":"bold","text":"loud","weight":700}}""", """{"$type":"bold","text":"loud","weight":700}""")]
    [InlineData("canvas", """{"canvas":{"background":{"$type":"circle","name":"c","radius":1},"labels":[{"text":"x"},{"weight":1,"$type":"bold","text":"y"}]}}""",
        """{"background":{"$type":"circle","name":"c","radius":1},"highlight":null,"labels":[{"text":"x"},{"$type":"bold","text":"y","weight":1}]}""")]
    public async Task Values_are_written_as_documented(string method, string sent, string expected)
        => Assert.Equal(expected, await Result(method, sent));

    [Theory]
    [InlineData("""{"shape":{"$type":"triangle","name":"t"}}""", "SidecarKit.Tests.Support.Shape: the type discriminator 'triangle' names no type derived from SidecarKit.Tests.Support.Shape that this side declares ([SidecarDerivedType]).")]
    [InlineData("""{"shape":{"name":"c","radius":1}}""", "SidecarKit.Tests.Support.Shape: the value has no type discriminator (\"$type\" in JSON and MessagePack, a oneof case in Protocol Buffers), and SidecarKit.Tests.Support.Shape cannot be read as itself.")]
    [InlineData("""{"shape":{"$type":3,"name":"c"}}""", "SidecarKit.Tests.Support.Shape: the type discriminator \"$type\" must be a string, found a number.")]
    public async Task An_unknown_or_missing_discriminator_is_invalid_params_naming_it(string sent, string message)
    {
        JsonElement r = await Call("echo", sent);
        JsonElement error = r.GetProperty("error");
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Equal("Invalid params for 'shapes.echo': " + message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_discriminator_on_a_concrete_base_is_refused_too_not_read_as_the_base()
    {
        JsonElement r = await Call("label", """{"label":{"$type":"italic","text":"x"}}""");
        Assert.Equal(-32602, r.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("the type discriminator 'italic' names no type derived from SidecarKit.Tests.Support.Label", r.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_undeclared_derived_instance_is_refused_naming_it_on_either_side()
    {
        await using ConnectionPair pair = ConnectionPair.Create(Handlers(name => new Triangle(name)));
        IShapes shapes = pair.Client.GetClient<IShapes>();

        var sent = await Assert.ThrowsAsync<WireFormatException>(() => shapes.EchoAsync(new Triangle("t")));
        Assert.Equal("SidecarKit.Tests.Support.Shape: an instance of 'Triangle', a type derived from it, cannot be sent: SidecarKit.Tests.Support.Shape does not " +
            "declare it with [SidecarDerivedType], so the contract carries the members of SidecarKit.Tests.Support.Shape only, and those of 'Triangle' would be lost.", sent.Message);
        await Assert.ThrowsAsync<WireFormatException>(() => shapes.EchoAllAsync([ShapesSamples.Circle, new Triangle("t")]));

        var answered = await Assert.ThrowsAsync<SidecarRemoteException>(() => shapes.MakeAsync("t"));
        Assert.Contains("an instance of 'Triangle', a type derived from it, cannot be sent", answered.Message);
        Assert.Equal(ShapesSamples.Circle, await shapes.EchoAsync(ShapesSamples.Circle));   // and the connection carries on
    }
}
