using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Processes;

/// <summary>What <see cref="SidecarProcessOptions.ConnectChannel"/> gets to connect to a ready sidecar.</summary>
public sealed class SidecarChannelContext
{
    internal SidecarChannelContext(string name, SidecarReadyInfo readyInfo, string? token, RpcHandlerTable callbacks, ILoggerFactory? loggerFactory)
    {
        Name = name;
        ReadyInfo = readyInfo;
        Token = token;
        Callbacks = callbacks;
        LoggerFactory = loggerFactory;
    }

    /// <summary>The sidecar's name.</summary>
    public string Name { get; }

    /// <summary>What the sidecar announced: its transport and <see cref="SidecarReadyInfo.ListenInfo"/>.</summary>
    public SidecarReadyInfo ReadyInfo { get; }

    /// <summary>The <c>SIDECAR_TOKEN</c> this start gave the sidecar, to present to it.</summary>
    public string? Token { get; }

    /// <summary>The parent's callback handlers, for transports that carry calls from the sidecar back.</summary>
    public RpcHandlerTable Callbacks { get; }

    /// <summary>The parent's loggers, if any.</summary>
    public ILoggerFactory? LoggerFactory { get; }
}
