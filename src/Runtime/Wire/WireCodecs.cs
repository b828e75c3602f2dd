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
