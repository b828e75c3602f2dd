using System.Buffers;
using System.Text;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// A request's method name is read through the connection's <see cref="MethodNameCache"/>: a name read again is the
/// string read the first time; escaped names, and more names than the cache holds, are still read right.
/// </summary>
public class MethodNameTests
{
    private static string ReadMethod(JsonRpcProtocol protocol, string methodJson)
    {
        byte[] line = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":1,"method":{{methodJson}},"params":[]}""" + "\n");
        var sequence = new ReadOnlySequence<byte>(line);
        Assert.True(protocol.TryReadMessage(ref sequence, false, out RpcMessage message));
        protocol.Release(in message);
        Assert.Equal(RpcMessageKind.Request, message.Kind);
        return message.Method!;
    }

    [Fact]
    public void A_method_name_read_again_is_the_same_string_and_another_name_is_its_own()
    {
        var protocol = new JsonRpcProtocol();
        string add = ReadMethod(protocol, "\"demo.add\"");
        string sum = ReadMethod(protocol, "\"demo.sum\"");

        Assert.Equal("demo.add", add);
        Assert.Equal("demo.sum", sum);
        Assert.Same(add, ReadMethod(protocol, "\"demo.add\""));
        Assert.Same(sum, ReadMethod(protocol, "\"demo.sum\""));
    }

    [Fact]
    public void An_escaped_name_is_read_unescaped()
    {
        var protocol = new JsonRpcProtocol();
        ReadMethod(protocol, "\"demo.add\"");
        Assert.Equal("demo.add", ReadMethod(protocol, "\"demo\\u002eadd\""));
        Assert.Equal("demo.é", ReadMethod(protocol, "\"demo.\\u00e9\""));
    }

    [Fact]
    public void More_names_than_the_cache_holds_are_each_read_right()
    {
        var protocol = new JsonRpcProtocol();
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 4 * MethodNameCache.Slots; i++)
                Assert.Equal($"m.{i}", ReadMethod(protocol, $"\"m.{i}\""));
        }
    }
}
