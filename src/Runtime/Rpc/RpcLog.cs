using Microsoft.Extensions.Logging;

namespace SidecarKit.Rpc;

internal static partial class RpcLog
{
    [LoggerMessage(1, LogLevel.Error, "The handler of '{Method}' failed.")]
    public static partial void LogHandlerFailed(this ILogger logger, Exception exception, string method);

    [LoggerMessage(2, LogLevel.Debug, "Could not send the reply to '{Method}'.")]
    public static partial void LogReplyFailed(this ILogger logger, Exception exception, string method);

    [LoggerMessage(3, LogLevel.Warning, "'{Method}' streams (its result, its input or both) and cannot be sent as a notification; ignored.")]
    public static partial void LogNotificationToStream(this ILogger logger, string method);

    [LoggerMessage(4, LogLevel.Warning, "Received an invalid message ({Code}): {Reason}")]
    public static partial void LogInvalidMessage(this ILogger logger, int code, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Received an error response that matches no call (id {Id}): [{Code}] {Reason}")]
    public static partial void LogUnmatchedError(this ILogger logger, string id, int code, string? reason);

    [LoggerMessage(6, LogLevel.Debug, "Received a notification for unknown method '{Method}'; ignored.")]
    public static partial void LogUnknownNotification(this ILogger logger, string method);

    [LoggerMessage(7, LogLevel.Debug, "Could not send '{Method}'.")]
    public static partial void LogSendFailed(this ILogger logger, Exception exception, string method);

    [LoggerMessage(8, LogLevel.Error, "The connection's read loop failed.")]
    public static partial void LogReadLoopFailed(this ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Debug, "Writing to the connection failed.")]
    public static partial void LogOutputFailed(this ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "Received a response for unknown id {Id}; ignored.")]
    public static partial void LogUnmatchedResponse(this ILogger logger, string id);

    [LoggerMessage(11, LogLevel.Warning, "Closing the connection: {Reason}.")]
    public static partial void LogClosingConnection(this ILogger logger, string reason);

    [LoggerMessage(12, LogLevel.Warning, "The caller's progress handler failed on a report ({Method}); the call goes on.")]
    public static partial void LogProgressFailed(this ILogger logger, Exception exception, string method);
}
