namespace SidecarKit.Transports.MessagePack;

/// <summary>The format bytes of the MessagePack specification (https://github.com/msgpack/msgpack/blob/master/spec.md).</summary>
internal static class MessagePackCode
{
    public const byte MaxPositiveFixInt = 0x7f;
    public const byte MinFixMap = 0x80, MaxFixMap = 0x8f;
    public const byte MinFixArray = 0x90, MaxFixArray = 0x9f;
    public const byte MinFixStr = 0xa0, MaxFixStr = 0xbf;
    public const byte Nil = 0xc0, NeverUsed = 0xc1, False = 0xc2, True = 0xc3;
    public const byte Bin8 = 0xc4, Bin16 = 0xc5, Bin32 = 0xc6;
    public const byte Ext8 = 0xc7, Ext16 = 0xc8, Ext32 = 0xc9;
    public const byte Float32 = 0xca, Float64 = 0xcb;
    public const byte UInt8 = 0xcc, UInt16 = 0xcd, UInt32 = 0xce, UInt64 = 0xcf;
    public const byte Int8 = 0xd0, Int16 = 0xd1, Int32 = 0xd2, Int64 = 0xd3;
    public const byte FixExt1 = 0xd4, FixExt2 = 0xd5, FixExt4 = 0xd6, FixExt8 = 0xd7, FixExt16 = 0xd8;
    public const byte Str8 = 0xd9, Str16 = 0xda, Str32 = 0xdb;
    public const byte Array16 = 0xdc, Array32 = 0xdd;
    public const byte Map16 = 0xde, Map32 = 0xdf;
    public const byte MinNegativeFixInt = 0xe0;

    /// <summary>The extension type of timestamps.</summary>
    public const sbyte TimestampType = -1;
}
