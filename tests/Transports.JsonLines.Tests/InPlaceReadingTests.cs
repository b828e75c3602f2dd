using SidecarKit.Rpc.Framing;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>A JSON-RPC message in one segment of the input is read in place; one across two, from a copy.</summary>
public class InPlaceReadingTests
{
    [Fact]
    public void A_line_in_one_segment_is_read_in_place_and_one_across_two_from_a_copy()
        => InPlaceReading.Check(() => new JsonRpcProtocol());

    [Fact]
    public void A_Content_Length_message_likewise()
        => InPlaceReading.Check(() => new JsonRpcProtocol(new ContentLengthFraming()));
}
