using System.Text.Json;
using SidecarKit.Rpc;

namespace SidecarKit.Runtime.Tests;

/// <summary>The one mapping from an implementation's exception to the error a call answers with, on every transport.</summary>
public class RpcErrorTests
{
    [Fact]
    public void An_application_error_keeps_its_code_message_and_data()
    {
        JsonElement data = JsonDocument.Parse("{\"left\":3}").RootElement.Clone();
        RpcError error = RpcError.FromException(new SidecarRemoteException(-32010, "division by zero", data), cancelled: true);
        Assert.Equal(-32010, error.Code);
        Assert.Equal("division by zero", error.Message);
        Assert.Equal(3, error.Data!.ToJson().GetProperty("left").GetInt32());
        Assert.False(RpcError.IsUnexpected(new SidecarRemoteException(-32010, "x"), cancelled: false));
    }

    [Fact]
    public void A_cancellation_this_side_asked_for_is_request_cancelled_and_any_other_is_a_failure()
    {
        RpcError cancelled = RpcError.FromException(new OperationCanceledException(), cancelled: true);
        Assert.Equal(RpcErrorCodes.RequestCancelled, cancelled.Code);
        Assert.Equal(RpcError.CancelledMessage, cancelled.Message);
        Assert.Null(cancelled.Data);
        Assert.False(RpcError.IsUnexpected(new OperationCanceledException(), cancelled: true));

        // Nobody here cancelled it: the implementation's own timeout, say. That is its failure, and it is logged.
        RpcError failed = RpcError.FromException(new TaskCanceledException("its own timeout"), cancelled: false);
        Assert.Equal(RpcErrorCodes.InternalError, failed.Code);
        Assert.True(RpcError.IsUnexpected(new TaskCanceledException(), cancelled: false));
    }

    [Fact]
    public void Anything_else_is_an_internal_error_naming_the_exception_type()
    {
        RpcError error = RpcError.FromException(new InvalidOperationException("boom"), cancelled: false);
        Assert.Equal(RpcErrorCodes.InternalError, error.Code);
        Assert.Equal("boom", error.Message);
        Assert.Equal("System.InvalidOperationException", error.Data!.ToJson().GetProperty("type").GetString());
    }
}
