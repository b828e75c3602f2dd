using System.Buffers;
using MessagePack;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// A request's method name is read through the connection's <see cref="MethodNameCache"/>: a name read again is the
/// string read the first time, and what is not a valid name is still refused, whatever was read before it.
/// </summary>
public class MethodNameTests
{
    private delegate void WriteMethod(ref MessagePackWriter w);

    private static RpcMessage Read(MessagePackRpcProtocol protocol, WriteMethod writeMethod)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(4);
        w.Write(0);      // a request
        w.Write(7);      // its id
        writeMethod(ref w);
        w.WriteArrayHeader(0);
        w.Flush();
        var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        Assert.True(protocol.TryReadMessage(ref sequence, false, out RpcMessage message));
        protocol.Release(in message);
        return message;
    }

    private static string ReadMethod(MessagePackRpcProtocol protocol, string method)
    {
        RpcMessage message = Read(protocol, (ref MessagePackWriter w) => w.Write(method));
        Assert.Equal(RpcMessageKind.Request, message.Kind);
        return message.Method!;
    }

    [Fact]
    public void A_method_name_read_again_is_the_same_string_and_another_name_is_its_own()
    {
        var protocol = new MessagePackRpcProtocol();
        string add = ReadMethod(protocol, "demo.add");
        string sum = ReadMethod(protocol, "demo.sum");

        Assert.Equal("demo.add", add);
        Assert.Equal("demo.sum", sum);
        Assert.Same(add, ReadMethod(protocol, "demo.add"));
        Assert.Same(sum, ReadMethod(protocol, "demo.sum"));
    }

    [Fact]
    public void A_name_longer_than_the_cache_keeps_is_read_whole_each_time()
    {
        var protocol = new MessagePackRpcProtocol();
        string longName = "demo." + new string('x', 1000); // the cache keeps names of up to 128 bytes
        string first = ReadMethod(protocol, longName);
        string second = ReadMethod(protocol, longName);

        Assert.Equal(longName, first);
        Assert.Equal(longName, second);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void A_method_name_that_is_not_utf8_is_an_invalid_request_even_after_valid_names()
    {
        var protocol = new MessagePackRpcProtocol();
        ReadMethod(protocol, "demo.add");

        RpcMessage bad = Read(protocol, (ref MessagePackWriter w) => w.WriteString([0x64, 0xff, 0x2e]));

        Assert.Equal(RpcMessageKind.Invalid, bad.Kind);
        Assert.Contains("UTF-8", bad.ErrorMessage);
        Assert.Same(ReadMethod(protocol, "demo.add"), ReadMethod(protocol, "demo.add"));
    }
}
