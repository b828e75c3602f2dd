// Primitive codecs. Each is a static-abstract codec type so generic call paths specialise per format.
namespace SidecarKit.Wire;

/// <summary>Codecs for the primitive types. Generated codecs call these for members of primitive type.</summary>
public static class WireCodecs
{
    /// <summary>The codec for <c>bool</c>.</summary>
    public sealed class Boolean : IWireCodec<bool>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, bool value) where TWriter : IWireWriter, allows ref struct => writer.WriteBoolean(value);
        /// <inheritdoc />
        public static bool Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadBoolean();
    }

    /// <summary>The codec for <c>byte</c>.</summary>
    public sealed class Byte : IWireCodec<byte>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, byte value) where TWriter : IWireWriter, allows ref struct => writer.WriteUInt64(value);
        /// <inheritdoc />
        public static byte Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToByte(reader.ReadUInt64());
    }

    /// <summary>The codec for <c>sbyte</c>.</summary>
    public sealed class SByte : IWireCodec<sbyte>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, sbyte value) where TWriter : IWireWriter, allows ref struct => writer.WriteInt64(value);
        /// <inheritdoc />
        public static sbyte Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToSByte(reader.ReadInt64());
    }

    /// <summary>The codec for <c>short</c>.</summary>
    public sealed class Int16 : IWireCodec<short>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, short value) where TWriter : IWireWriter, allows ref struct => writer.WriteInt64(value);
        /// <inheritdoc />
        public static short Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToInt16(reader.ReadInt64());
    }

    /// <summary>The codec for <c>ushort</c>.</summary>
    public sealed class UInt16 : IWireCodec<ushort>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, ushort value) where TWriter : IWireWriter, allows ref struct => writer.WriteUInt64(value);
        /// <inheritdoc />
        public static ushort Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToUInt16(reader.ReadUInt64());
    }

    /// <summary>The codec for <c>int</c>.</summary>
    public sealed class Int32 : IWireCodec<int>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, int value) where TWriter : IWireWriter, allows ref struct => writer.WriteInt64(value);
        /// <inheritdoc />
        public static int Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToInt32(reader.ReadInt64());
    }

    /// <summary>The codec for <c>uint</c>.</summary>
    public sealed class UInt32 : IWireCodec<uint>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, uint value) where TWriter : IWireWriter, allows ref struct => writer.WriteUInt64(value);
        /// <inheritdoc />
        public static uint Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToUInt32(reader.ReadUInt64());
    }

    /// <summary>The codec for <c>long</c>.</summary>
    public sealed class Int64 : IWireCodec<long>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, long value) where TWriter : IWireWriter, allows ref struct => writer.WriteInt64(value);
        /// <inheritdoc />
        public static long Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadInt64();
    }

    /// <summary>The codec for <c>ulong</c>.</summary>
    public sealed class UInt64 : IWireCodec<ulong>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, ulong value) where TWriter : IWireWriter, allows ref struct => writer.WriteUInt64(value);
        /// <inheritdoc />
        public static ulong Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadUInt64();
    }

    /// <summary>The codec for <c>float</c>.</summary>
    public sealed class Single : IWireCodec<float>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, float value) where TWriter : IWireWriter, allows ref struct => writer.WriteSingle(value);
        /// <inheritdoc />
        public static float Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadSingle();
    }

    /// <summary>The codec for <c>double</c>.</summary>
    public sealed class Double : IWireCodec<double>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, double value) where TWriter : IWireWriter, allows ref struct => writer.WriteDouble(value);
        /// <inheritdoc />
        public static double Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadDouble();
    }

    /// <summary>The codec for <c>decimal</c>.</summary>
    public sealed class Decimal : IWireCodec<decimal>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, decimal value) where TWriter : IWireWriter, allows ref struct => writer.WriteDecimal(value);
        /// <inheritdoc />
        public static decimal Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadDecimal();
    }

    /// <summary>The codec for <c>char</c>.</summary>
    public sealed class Char : IWireCodec<char>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, char value) where TWriter : IWireWriter, allows ref struct => writer.WriteString(value.ToString());
        /// <inheritdoc />
        public static char Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => WireConvert.ToChar(reader.ReadString());
    }

    /// <summary>The codec for <c>string</c>.</summary>
    public sealed class String : IWireCodec<string>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, string value) where TWriter : IWireWriter, allows ref struct => writer.WriteString(value);
        /// <inheritdoc />
        public static string Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadString();
    }

    /// <summary>The codec for <c>byte[]</c>.</summary>
    public sealed class ByteArray : IWireCodec<byte[]>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, byte[] value) where TWriter : IWireWriter, allows ref struct => writer.WriteBytes(value);
        /// <inheritdoc />
        public static byte[] Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadBytes();
    }

    /// <summary>The codec for <c>Guid</c>.</summary>
    public sealed class Guid : IWireCodec<global::System.Guid>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Guid value) where TWriter : IWireWriter, allows ref struct => writer.WriteGuid(value);
        /// <inheritdoc />
        public static global::System.Guid Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadGuid();
    }

    /// <summary>The codec for <c>DateTime</c>.</summary>
    public sealed class DateTime : IWireCodec<global::System.DateTime>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.DateTime value) where TWriter : IWireWriter, allows ref struct => writer.WriteDateTime(value);
        /// <inheritdoc />
        public static global::System.DateTime Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadDateTime();
    }

    /// <summary>The codec for <c>DateTimeOffset</c>.</summary>
    public sealed class DateTimeOffset : IWireCodec<global::System.DateTimeOffset>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.DateTimeOffset value) where TWriter : IWireWriter, allows ref struct => writer.WriteDateTimeOffset(value);
        /// <inheritdoc />
        public static global::System.DateTimeOffset Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadDateTimeOffset();
    }

    /// <summary>The codec for <c>TimeSpan</c>.</summary>
    public sealed class TimeSpan : IWireCodec<global::System.TimeSpan>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.TimeSpan value) where TWriter : IWireWriter, allows ref struct => writer.WriteTimeSpan(value);
        /// <inheritdoc />
        public static global::System.TimeSpan Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadTimeSpan();
    }

    /// <summary>The codec for <c>DateOnly</c>: an ISO 8601 calendar date, <c>"yyyy-MM-dd"</c>, as a string on every format.</summary>
    public sealed class DateOnly : IWireCodec<global::System.DateOnly>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.DateOnly value) where TWriter : IWireWriter, allows ref struct
            => writer.WriteString(value.ToString("yyyy-MM-dd", global::System.Globalization.CultureInfo.InvariantCulture));
        /// <inheritdoc />
        public static global::System.DateOnly Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            string s = reader.ReadString();
            return global::System.DateOnly.TryParseExact(s, "yyyy-MM-dd", global::System.Globalization.CultureInfo.InvariantCulture, global::System.Globalization.DateTimeStyles.None, out global::System.DateOnly d)
                ? d : throw new WireFormatException($"'{s}' is not a date (yyyy-MM-dd).");
        }
    }

    /// <summary>
    /// The codec for <c>TimeOnly</c>: a time of day as a string on every format, <c>"HH:mm:ss"</c> with the fraction of a
    /// second only as needed (up to 7 digits, <c>"13:45:30.5"</c>); <c>"HH:mm"</c> is accepted too.
    /// </summary>
    public sealed class TimeOnly : IWireCodec<global::System.TimeOnly>
    {
        private static readonly string[] s_formats = ["HH:mm:ss.FFFFFFF", "HH:mm:ss", "HH:mm"];

        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.TimeOnly value) where TWriter : IWireWriter, allows ref struct
            => writer.WriteString(value.ToString("HH:mm:ss.FFFFFFF", global::System.Globalization.CultureInfo.InvariantCulture));
        /// <inheritdoc />
        public static global::System.TimeOnly Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            string s = reader.ReadString();
            return global::System.TimeOnly.TryParseExact(s, s_formats, global::System.Globalization.CultureInfo.InvariantCulture, global::System.Globalization.DateTimeStyles.None, out global::System.TimeOnly t)
                ? t : throw new WireFormatException($"'{s}' is not a time of day (HH:mm:ss[.fffffff]).");
        }
    }

    /// <summary>The codec for <c>Int128</c>: its decimal digits as a string on every format (an integer within <c>long</c>'s range is accepted too).</summary>
    public sealed class Int128 : IWireCodec<global::System.Int128>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Int128 value) where TWriter : IWireWriter, allows ref struct
            => writer.WriteString(value.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        /// <inheritdoc />
        public static global::System.Int128 Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            if (reader.TokenKind == WireTokenKind.Number) return reader.ReadInt64();
            string s = reader.ReadString();
            // A '-' may lead, a '+' may not (docs/protocol.md, section 6: one spelling per value).
            return !s.StartsWith('+') && global::System.Int128.TryParse(s, global::System.Globalization.NumberStyles.AllowLeadingSign, global::System.Globalization.CultureInfo.InvariantCulture, out global::System.Int128 v)
                ? v : throw new WireFormatException($"'{s}' is not an integer within Int128's range.");
        }
    }

    /// <summary>The codec for <c>UInt128</c>: its decimal digits as a string on every format (an integer within <c>ulong</c>'s range is accepted too).</summary>
    public sealed class UInt128 : IWireCodec<global::System.UInt128>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.UInt128 value) where TWriter : IWireWriter, allows ref struct
            => writer.WriteString(value.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        /// <inheritdoc />
        public static global::System.UInt128 Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            if (reader.TokenKind == WireTokenKind.Number) return reader.ReadUInt64();
            string s = reader.ReadString();
            return global::System.UInt128.TryParse(s, global::System.Globalization.NumberStyles.None, global::System.Globalization.CultureInfo.InvariantCulture, out global::System.UInt128 v)
                ? v : throw new WireFormatException($"'{s}' is not a non-negative integer within UInt128's range.");
        }
    }

    /// <summary>
    /// The codec for <c>Half</c>: a 32-bit float on every format. It is written as the float nearest the half's shortest
    /// decimal form when that reads back as the same half (<c>0.1</c>, not <c>0.099975586</c>); read, a finite value
    /// beyond <c>Half</c>'s range is out of range, others round to the nearest half.
    /// </summary>
    public sealed class Half : IWireCodec<global::System.Half>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Half value) where TWriter : IWireWriter, allows ref struct
            => writer.WriteSingle(ToSingle(value));
        /// <inheritdoc />
        public static global::System.Half Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            float f = reader.ReadSingle();
            global::System.Half h = (global::System.Half)f;
            return global::System.Half.IsInfinity(h) && float.IsFinite(f)
                ? throw WireFormatException.OutOfRange("Half", f.ToString(global::System.Globalization.CultureInfo.InvariantCulture)) : h;
        }

        private static float ToSingle(global::System.Half value)
        {
            if (!global::System.Half.IsFinite(value)) return (float)value;
            float shortest = float.Parse(value.ToString(global::System.Globalization.CultureInfo.InvariantCulture), global::System.Globalization.CultureInfo.InvariantCulture);
            return (global::System.Half)shortest == value && float.IsNegative(shortest) == global::System.Half.IsNegative(value) ? shortest : (float)value;
        }
    }

    /// <summary>The codec for <c>ReadOnlyMemory&lt;byte&gt;</c>: bytes, as <c>byte[]</c>.</summary>
    public sealed class ReadOnlyByteMemory : IWireCodec<global::System.ReadOnlyMemory<byte>>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.ReadOnlyMemory<byte> value) where TWriter : IWireWriter, allows ref struct => writer.WriteBytes(value.Span);
        /// <inheritdoc />
        public static global::System.ReadOnlyMemory<byte> Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadBytes();
    }

    /// <summary>The codec for <c>Memory&lt;byte&gt;</c>: bytes, as <c>byte[]</c>.</summary>
    public sealed class ByteMemory : IWireCodec<global::System.Memory<byte>>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Memory<byte> value) where TWriter : IWireWriter, allows ref struct => writer.WriteBytes(value.Span);
        /// <inheritdoc />
        public static global::System.Memory<byte> Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => reader.ReadBytes();
    }

    /// <summary>The codec for <c>Uri</c>: a string, the URI as given (<see cref="global::System.Uri.OriginalString"/>); read as absolute or relative.</summary>
    public sealed class Uri : IWireCodec<global::System.Uri>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Uri value) where TWriter : IWireWriter, allows ref struct => writer.WriteString(value.OriginalString);
        /// <inheritdoc />
        public static global::System.Uri Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            string s = reader.ReadString();
            return global::System.Uri.TryCreate(s, global::System.UriKind.RelativeOrAbsolute, out global::System.Uri? u)
                ? u : throw new WireFormatException($"'{s}' is not a URI.");
        }
    }

    /// <summary>The codec for <c>Version</c>: a string, <c>"major.minor[.build[.revision]]"</c>.</summary>
    public sealed class Version : IWireCodec<global::System.Version>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, global::System.Version value) where TWriter : IWireWriter, allows ref struct => writer.WriteString(value.ToString());
        /// <inheritdoc />
        public static global::System.Version Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            string s = reader.ReadString();
            return global::System.Version.TryParse(s, out global::System.Version? v)
                ? v : throw new WireFormatException($"'{s}' is not a version (major.minor[.build[.revision]]).");
        }
    }

    /// <summary>The codec for <c>nint</c>.</summary>
    public sealed class IntPtr : IWireCodec<nint>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, nint value) where TWriter : IWireWriter, allows ref struct => writer.WriteInt64(value);
        /// <inheritdoc />
        public static nint Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => (nint)reader.ReadInt64();
    }

    /// <summary>The codec for <c>nuint</c>.</summary>
    public sealed class UIntPtr : IWireCodec<nuint>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, nuint value) where TWriter : IWireWriter, allows ref struct => writer.WriteUInt64(value);
        /// <inheritdoc />
        public static nuint Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => (nuint)reader.ReadUInt64();
    }

    /// <summary>The codec for a call with no result (the result is ignored on read and written as null).</summary>
    public sealed class Void : IWireCodec<VoidResult>
    {
        /// <inheritdoc />
        public static void Write<TWriter>(ref TWriter writer, VoidResult value) where TWriter : IWireWriter, allows ref struct => writer.WriteNull();
        /// <inheritdoc />
        public static VoidResult Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct { reader.Skip(); return default; }
    }
}

/// <summary>The result of a call that returns nothing.</summary>
public readonly struct VoidResult { }
