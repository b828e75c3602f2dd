using System.Security.Cryptography;
using System.Text;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Hosting;

/// <summary>
/// A sidecar's socket admits a connection whose first message is the notification <c>$/hello</c> carrying the token
/// its parent set in <c>SIDECAR_TOKEN</c>, compared in constant time; anything else closes it (docs/protocol.md).
/// </summary>
internal sealed class HelloTokenAdmission(string token) : IConnectionAdmission
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public string? Check(RpcProtocol protocol, in RpcMessage first)
    {
        if (first.Kind != RpcMessageKind.Notification || first.Method != ProtocolMethods.Hello)
        {
            string what = first.Kind switch
            {
                RpcMessageKind.Request or RpcMessageKind.Notification => $"'{first.Method}'",
                RpcMessageKind.Invalid => "an invalid message",
                _ => "a response",
            };
            return $"refused: the first message was {what}, not the notification {ProtocolMethods.Hello} with the token";
        }
        string? given;
        try { given = protocol.ReadArgs<HelloParams>(in first).Token; }
        catch (Exception e) when (e is WireFormatException or FormatException or InvalidOperationException or OverflowException)
        {
            return $"refused: malformed {ProtocolMethods.Hello} params ({e.Message}); expected [{{\"token\": \"…\"}}]";
        }
        if (given is null) return $"refused: {ProtocolMethods.Hello} carried no token";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _expected)
            ? null
            : $"refused: {ProtocolMethods.Hello} carried a wrong token";
    }
}
