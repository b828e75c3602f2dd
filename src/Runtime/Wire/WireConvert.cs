namespace SidecarKit.Wire;

/// <summary>Range-checked narrowing for integers read off the wire. Out of range is a <see cref="WireFormatException"/>, never a wrap.</summary>
public static class WireConvert
{
    /// <summary>Narrows to <see cref="byte"/>.</summary>
    public static byte ToByte(ulong v) => v <= byte.MaxValue ? (byte)v : throw WireFormatException.OutOfRange("Byte", v.ToString());
    /// <summary>Narrows to <see cref="sbyte"/>.</summary>
    public static sbyte ToSByte(long v) => v is >= sbyte.MinValue and <= sbyte.MaxValue ? (sbyte)v : throw WireFormatException.OutOfRange("SByte", v.ToString());
    /// <summary>Narrows to <see cref="short"/>.</summary>
    public static short ToInt16(long v) => v is >= short.MinValue and <= short.MaxValue ? (short)v : throw WireFormatException.OutOfRange("Int16", v.ToString());
    /// <summary>Narrows to <see cref="ushort"/>.</summary>
    public static ushort ToUInt16(ulong v) => v <= ushort.MaxValue ? (ushort)v : throw WireFormatException.OutOfRange("UInt16", v.ToString());
    /// <summary>Narrows to <see cref="int"/>.</summary>
    public static int ToInt32(long v) => v is >= int.MinValue and <= int.MaxValue ? (int)v : throw WireFormatException.OutOfRange("Int32", v.ToString());
    /// <summary>Narrows to <see cref="uint"/>.</summary>
    public static uint ToUInt32(ulong v) => v <= uint.MaxValue ? (uint)v : throw WireFormatException.OutOfRange("UInt32", v.ToString());
    /// <summary>Converts a one-character string to <see cref="char"/>.</summary>
    public static char ToChar(string s) => s.Length == 1 ? s[0] : throw new WireFormatException($"expected a string of one character, got {s.Length} characters.");
}
