using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>A MessagePack-RPC message in one segment of the input is read in place; one across two, from a copy.</summary>
public class InPlaceReadingTests
{
    [Fact]
    public void A_message_in_one_segment_is_read_in_place_and_one_across_two_from_a_copy()
        => InPlaceReading.Check(() => new MessagePackRpcProtocol());

    [Fact]
    public void The_same_with_objects_as_arrays()
        => InPlaceReading.Check(() => new MessagePackRpcProtocol(new MessagePackOptions { ObjectLayout = MessagePackObjectLayout.Array }));
}
