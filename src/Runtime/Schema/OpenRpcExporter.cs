using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SidecarKit.Lifecycle;
using SidecarKit.Rpc;

namespace SidecarKit.Schema;

/// <summary>
/// Describes what a sidecar serves as an <see href="https://spec.open-rpc.org/">OpenRPC 1.3</see> document: what
/// <c>--describe openrpc</c> prints and <c>rpc.discover</c> answers (docs/polyglot.md, "OpenRPC"). Params are by name
/// with JSON Schemas of the JSON-RPC encoding (docs/protocol.md, section 6); what OpenRPC has no word for (streams,
/// streamed parameters, progress, the callback contracts, the fingerprints) travels in <c>x-sidecarkit-*</c>
/// extensions. Derived from the generated <see cref="ContractSchema"/>: nothing is parsed.
/// </summary>
public static class OpenRpcExporter
{
    /// <summary>The OpenRPC version the documents declare.</summary>
    public const string OpenRpcVersion = "1.3.2";

    private static readonly JsonWriterOptions s_indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The errors any request can answer (docs/protocol.md, section 8), under the names components.errors gives them.
    private static readonly (string Name, int Code, string Message)[] s_errors =
    [
        ("InvalidRequest", RpcErrorCodes.InvalidRequest, "Invalid Request"),
        ("MethodNotFound", RpcErrorCodes.MethodNotFound, "Method not found"),
        ("InvalidParams", RpcErrorCodes.InvalidParams, "Invalid params"),
        ("InternalError", RpcErrorCodes.InternalError, "Internal error"),
        ("ServerBusy", RpcErrorCodes.ServerBusy, "Server busy"),
        ("ShuttingDown", RpcErrorCodes.ShuttingDown, "Shutting down"),
        ("RequestCancelled", RpcErrorCodes.RequestCancelled, "Request cancelled"),
    ];

    /// <summary>
    /// The document of a sidecar that serves <paramref name="contracts"/> and calls <paramref name="callbacks"/> on its
    /// parent: every served method in <c>methods</c>, the callback contracts' methods in <c>x-sidecarkit-callbacks</c>,
    /// the named types of both in <c>components.schemas</c>.
    /// </summary>
    /// <param name="contracts">The served contracts (at least one).</param>
    /// <param name="callbacks">The callback contracts the sidecar calls on its parent (may be empty).</param>
    /// <param name="indented">Whether to indent the text (<c>--describe openrpc</c> does; <c>rpc.discover</c> does not need to).</param>
    public static string Export(IReadOnlyList<ContractDescriptor> contracts, IReadOnlyList<ContractDescriptor> callbacks, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        ArgumentNullException.ThrowIfNull(callbacks);
        if (contracts.Count == 0) throw new ArgumentException("Describe at least one contract.", nameof(contracts));
        var names = new TypeNames([.. contracts, .. callbacks]);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, indented ? s_indented : s_compact))
        {
            w.WriteStartObject();
            w.WriteString("openrpc", OpenRpcVersion);
            w.WriteStartObject("info");
            w.WriteString("title", string.Join(", ", contracts.Select(c => c.Name)));
            w.WriteString("description", "The contract" + (contracts.Count == 1 ? " " : "s ") + string.Join(", ", contracts.Select(c => $"'{c.Name}'"))
                + " of a SidecarKit sidecar: JSON-RPC 2.0 on JSON lines (docs/protocol.md); the same methods on MessagePack-RPC and gRPC.");
            // One contract: its fingerprint is the document's version (a change of shape is a new version).
            w.WriteString("version", contracts.Count == 1 ? contracts[0].Fingerprint : string.Join("+", contracts.Select(c => c.Fingerprint)));
            w.WriteString("x-sidecarkit-protocol", SidecarReadyInfo.CurrentProtocolVersion);
            w.WriteEndObject();
            w.WriteStartArray("methods");
            foreach (ContractDescriptor contract in contracts)
                WriteMethods(w, contract, names);
            w.WriteEndArray();
            w.WriteStartObject("components");
            w.WriteStartObject("schemas");
            foreach ((string key, ContractDescriptor contract, TypeSchema type) in names.Components)
            {
                w.WritePropertyName(key);
                WriteNamedType(w, type, names.For(contract));
            }
            w.WriteEndObject();
            w.WriteStartObject("errors");
            foreach ((string name, int code, string message) in s_errors)
            {
                w.WriteStartObject(name);
                w.WriteNumber("code", code);
                w.WriteString("message", message);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("x-sidecarkit-contracts");
            foreach (ContractDescriptor contract in contracts)
            {
                w.WriteStartObject();
                w.WriteString("name", contract.Name);
                w.WriteString("fingerprint", contract.Fingerprint);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("x-sidecarkit-callbacks");
            foreach (ContractDescriptor callback in callbacks)
            {
                w.WriteStartObject();
                w.WriteString("name", callback.Name);
                w.WriteString("fingerprint", callback.Fingerprint);
                w.WriteStartArray("methods");
                WriteMethods(w, callback, names);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteMethods(Utf8JsonWriter w, ContractDescriptor contract, TypeNames names)
    {
        Func<string, string> refs = names.For(contract);
        foreach (MethodSchema m in contract.Schema.Methods)
        {
            MethodDescriptor? descriptor = contract.Methods.FirstOrDefault(d => d.WireName == m.WireName);
            w.WriteStartObject();
            w.WriteString("name", m.WireName);
            w.WriteString("paramStructure", "by-name");
            w.WriteStartArray("params");
            foreach (WireField p in m.Parameters)
                WriteContent(w, p.Name, p.Type, refs, required: !p.IsOptional && !p.Type.IsNullable);
            w.WriteEndArray();
            switch (m.Kind)
            {
                case MethodKind.Notification:
                    break;   // no result: a notification, in OpenRPC's words as in JSON-RPC's
                case MethodKind.ServerStream or MethodKind.DuplexStream:
                    // The response ends the stream and carries how many items were sent (docs/protocol.md, section 12).
                    w.WriteStartObject("result");
                    w.WriteString("name", "count");
                    w.WriteStartObject("schema");
                    w.WriteString("type", "integer");
                    w.WriteNumber("minimum", 0);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
                default:
                    w.WriteStartObject("result");
                    w.WriteString("name", "result");
                    w.WritePropertyName("schema");
                    if (m.Result is { } result) WriteSchema(w, result, refs);
                    else WriteNull(w);
                    w.WriteEndObject();
                    break;
            }
            if (m.Kind != MethodKind.Notification)
            {
                w.WriteStartArray("errors");
                // The method's own errors ([SidecarError]) first, then the protocol's.
                foreach (SidecarErrorInfo declared in descriptor?.Errors ?? [])
                {
                    w.WriteStartObject();
                    w.WriteNumber("code", declared.Code);
                    w.WriteString("message", declared.Message);
                    w.WriteEndObject();
                }
                foreach ((string name, int _, string _) in s_errors)
                {
                    // Only a method that streams can be refused for breaking a stream's rules.
                    if (name == "InvalidRequest" && m.Kind is MethodKind.Unary or MethodKind.UnaryVoid) continue;
                    w.WriteStartObject();
                    w.WriteString("$ref", "#/components/errors/" + name);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteString("x-sidecarkit-kind", ContractShapes.KindName(m.Kind));
            if (m.Kind is MethodKind.ServerStream or MethodKind.DuplexStream && m.Result is { } item)
            {
                w.WritePropertyName("x-sidecarkit-items");
                WriteContent(w, "item", item, refs, required: null);
            }
            if (m.Input is { } input)
            {
                w.WritePropertyName("x-sidecarkit-input");
                WriteContent(w, input.Name, input.Type, refs, required: null);
            }
            if (m.Progress is { } progress)
            {
                w.WritePropertyName("x-sidecarkit-progress");
                WriteContent(w, "progress", progress, refs, required: null);
            }
            if (descriptor is { Idempotent: true }) w.WriteBoolean("x-sidecarkit-idempotent", true);
            if (descriptor?.Timeout is { } timeout)
                w.WriteNumber("x-sidecarkit-timeout-ms", timeout == Timeout.InfiniteTimeSpan ? -1 : (long)timeout.TotalMilliseconds);
            w.WriteEndObject();
        }
    }

    private static void WriteContent(Utf8JsonWriter w, string name, WireType type, Func<string, string> refs, bool? required)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        if (required is { } r) w.WriteBoolean("required", r);
        w.WritePropertyName("schema");
        WriteSchema(w, type, refs);
        w.WriteEndObject();
    }

    private static void WriteNull(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "null");
        w.WriteEndObject();
    }

    /// <summary>The JSON Schema of a value of <paramref name="type"/> as JSON-RPC writes it (docs/protocol.md, section 6).</summary>
    private static void WriteSchema(Utf8JsonWriter w, WireType type, Func<string, string> refs)
    {
        w.WriteStartObject();
        switch (type.Kind)
        {
            case WireTypeKind.Nullable:
                w.WriteStartArray("anyOf");
                WriteSchema(w, type.Element!, refs);
                WriteNull(w);
                w.WriteEndArray();
                break;
            case WireTypeKind.List:
                w.WriteString("type", "array");
                w.WritePropertyName("items");
                WriteSchema(w, type.Element!, refs);
                break;
            case WireTypeKind.Map:
                w.WriteString("type", "object");
                w.WritePropertyName("additionalProperties");
                WriteSchema(w, type.Element!, refs);
                w.WritePropertyName("propertyNames");
                WriteKey(w, type.Key!, refs);
                break;
            case WireTypeKind.Named:
                w.WriteString("$ref", refs(type.Name!));
                break;
            default:
                WriteScalar(w, type.Scalar);
                break;
        }
        w.WriteEndObject();
    }

    private static void WriteKey(Utf8JsonWriter w, WireType key, Func<string, string> refs)
    {
        w.WriteStartObject();
        if (key.Kind == WireTypeKind.Named)
        {
            // An enum key is its member's name, or the digits of a value without one.
            w.WriteStartArray("anyOf");
            w.WriteStartObject();
            w.WriteString("$ref", refs(key.Name!));
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "string");
            w.WriteString("pattern", "^-?[0-9]+$");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else
        {
            w.WriteString("type", "string");
            switch (key.Scalar)
            {
                case WireScalar.String:
                    break;
                case WireScalar.Guid:
                    w.WriteString("format", "uuid");
                    break;
                default:
                    // Integer keys are their decimal digits (docs/protocol.md, section 6, "Maps").
                    w.WriteString("format", WireType.NameOf(key.Scalar));
                    w.WriteString("pattern", IsSigned(key.Scalar) ? "^-?[0-9]+$" : "^[0-9]+$");
                    break;
            }
        }
        w.WriteEndObject();
    }

    private static bool IsSigned(WireScalar s) => s is WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32 or WireScalar.Int64 or WireScalar.Int128;

    private static void WriteScalar(Utf8JsonWriter w, WireScalar scalar)
    {
        switch (scalar)
        {
            case WireScalar.Bool:
                w.WriteString("type", "boolean");
                return;
            case WireScalar.String:
                w.WriteString("type", "string");
                return;
            case WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32 or WireScalar.Int64
                or WireScalar.UInt8 or WireScalar.UInt16 or WireScalar.UInt32 or WireScalar.UInt64:
                w.WriteString("type", "integer");
                w.WriteString("format", WireType.NameOf(scalar));
                WriteRange(w, scalar);
                return;
            case WireScalar.Float32 or WireScalar.Float64 or WireScalar.Float16:
                // NaN and the infinities travel as strings (docs/protocol.md, section 6).
                w.WriteString("format", WireType.NameOf(scalar));
                w.WriteStartArray("anyOf");
                w.WriteStartObject();
                w.WriteString("type", "number");
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("type", "string");
                w.WriteStartArray("enum");
                w.WriteStringValue("NaN");
                w.WriteStringValue("Infinity");
                w.WriteStringValue("-Infinity");
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                return;
            case WireScalar.Decimal:
                w.WriteString("type", "number");
                w.WriteString("format", "decimal");
                return;
            case WireScalar.Int128 or WireScalar.UInt128:
                // Written as a string of digits; a JSON integer within long's (ulong's) range is read too.
                w.WriteString("format", WireType.NameOf(scalar));
                w.WriteStartArray("anyOf");
                w.WriteStartObject();
                w.WriteString("type", "string");
                w.WriteString("pattern", scalar == WireScalar.Int128 ? "^-?[0-9]+$" : "^[0-9]+$");
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("type", "integer");
                WriteRange(w, scalar == WireScalar.Int128 ? WireScalar.Int64 : WireScalar.UInt64);
                w.WriteEndObject();
                w.WriteEndArray();
                return;
        }
        w.WriteString("type", "string");
        switch (scalar)
        {
            case WireScalar.Char:
                // One UTF-16 code unit: one code point, which JSON Schema counts (a lone surrogate cannot be sent).
                w.WriteString("format", "char");
                w.WriteNumber("minLength", 1);
                w.WriteNumber("maxLength", 1);
                w.WriteString("pattern", "^[\\u0000-\\uFFFF]$");   // one UTF-16 code unit: not an emoji (two)
                break;
            case WireScalar.Bytes:
                w.WriteString("format", "bytes");
                w.WriteString("contentEncoding", "base64");
                break;
            case WireScalar.Guid:
                w.WriteString("format", "uuid");
                break;
            case WireScalar.DateTimeOffset:
                w.WriteString("format", "date-time");   // RFC 3339 with its offset, as JSON Schema means it
                break;
            case WireScalar.Date:
                w.WriteString("format", "date");
                break;
            case WireScalar.Time:
                w.WriteString("format", "partial-time");   // RFC 3339's time without an offset (JSON Schema's "time" has one)
                break;
            default:
                w.WriteString("format", WireType.NameOf(scalar));   // datetime, timespan: .NET's forms, section 6
                break;
        }
    }

    private static void WriteRange(Utf8JsonWriter w, WireScalar scalar)
    {
        switch (scalar)
        {
            case WireScalar.Int8: w.WriteNumber("minimum", sbyte.MinValue); w.WriteNumber("maximum", sbyte.MaxValue); break;
            case WireScalar.Int16: w.WriteNumber("minimum", short.MinValue); w.WriteNumber("maximum", short.MaxValue); break;
            case WireScalar.Int32: w.WriteNumber("minimum", int.MinValue); w.WriteNumber("maximum", int.MaxValue); break;
            case WireScalar.Int64: w.WriteNumber("minimum", long.MinValue); w.WriteNumber("maximum", long.MaxValue); break;
            case WireScalar.UInt8: w.WriteNumber("minimum", 0); w.WriteNumber("maximum", byte.MaxValue); break;
            case WireScalar.UInt16: w.WriteNumber("minimum", 0); w.WriteNumber("maximum", ushort.MaxValue); break;
            case WireScalar.UInt32: w.WriteNumber("minimum", 0); w.WriteNumber("maximum", uint.MaxValue); break;
            default: w.WriteNumber("minimum", 0); w.WriteNumber("maximum", ulong.MaxValue); break;
        }
    }

    private static void WriteNamedType(Utf8JsonWriter w, TypeSchema type, Func<string, string> refs)
    {
        w.WriteStartObject();
        if (type.Kind == TypeSchemaKind.Enum)
        {
            // Written as the camelCase names; a value without a name (a flags combination) travels as its number
            // (docs/protocol.md, section 6).
            w.WriteStartArray("anyOf");
            w.WriteStartObject();
            w.WriteString("type", "string");
            w.WriteStartArray("enum");
            foreach (string value in type.Values) w.WriteStringValue(value);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "integer");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else if (!type.IsPolymorphic)
        {
            WriteObjectBody(w, type.Members, refs);
        }
        else
        {
            w.WriteStartArray("oneOf");
            foreach (WireField variant in type.VariantCases)
            {
                w.WriteStartObject();
                if (variant.Name.Length == 0)
                {
                    // The base itself, not abstract: a plain object without a discriminator.
                    WriteObjectBody(w, type.Members, refs);
                    w.WriteStartObject("not");
                    w.WriteStartArray("required");
                    w.WriteStringValue("$type");
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteStartArray("allOf");
                    w.WriteStartObject();
                    w.WriteString("$ref", refs(variant.Type.Name!));
                    w.WriteEndObject();
                    w.WriteStartObject();
                    w.WriteString("type", "object");
                    w.WriteStartObject("properties");
                    w.WriteStartObject("$type");
                    w.WriteString("const", variant.Name);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteStartArray("required");
                    w.WriteStringValue("$type");
                    w.WriteEndArray();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("x-sidecarkit-discriminator", "$type");
            w.WriteStartObject("x-sidecarkit-variants");
            foreach (WireField variant in type.VariantCases)
                w.WriteString(variant.Name, variant.Name.Length == 0 ? refs(type.Name) : refs(variant.Type.Name!));
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteObjectBody(Utf8JsonWriter w, IReadOnlyList<WireField> members, Func<string, string> refs)
    {
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        foreach (WireField m in members)
        {
            w.WritePropertyName(m.Name);
            WriteSchema(w, m.Type, refs);
        }
        w.WriteEndObject();
        w.WriteStartArray("required");
        foreach (WireField m in members)
            if (!m.IsOptional) w.WriteStringValue(m.Name);
        w.WriteEndArray();
    }

    /// <summary>
    /// The keys of the named types in <c>components.schemas</c>: a type's own name, unless another contract of the
    /// document already gave that name to a different type; then the contract's name qualifies it (<c>billing.Person</c>).
    /// </summary>
    private sealed class TypeNames
    {
        private readonly Dictionary<(string Contract, string Type), string> _keys = [];

        public TypeNames(IReadOnlyList<ContractDescriptor> contracts)
        {
            var taken = new Dictionary<string, ContractDescriptor>(StringComparer.Ordinal);   // key → the contract whose type has it
            var components = new List<(string, ContractDescriptor, TypeSchema)>();
            foreach (ContractDescriptor contract in contracts)
            {
                if (_keys.Keys.Any(k => k.Contract == contract.Name)) continue;   // the same contract twice
                foreach (TypeSchema type in contract.Schema.Types)
                {
                    string key = type.Name;
                    if (taken.TryGetValue(key, out ContractDescriptor? owner) && !Alike(owner, contract, type.Name)) key = contract.Name + "." + type.Name;
                    _keys[(contract.Name, type.Name)] = key;
                    if (taken.TryAdd(key, contract)) components.Add((key, contract, type));
                }
            }
            components.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
            Components = components;
        }

        // Whether the type called `name` is the same in both contracts: its own shape, and the shape of every type it
        // reaches through its members (a Person whose Address differs is another Person).
        private static bool Alike(ContractDescriptor first, ContractDescriptor second, string name)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Queue<string>([name]);
            while (pending.TryDequeue(out string? next))
            {
                if (!seen.Add(next)) continue;
                TypeSchema? a = first.Schema.FindType(next), b = second.Schema.FindType(next);
                if (a is null || b is null || Render(a) != Render(b)) return false;
                foreach (string referenced in References(a)) pending.Enqueue(referenced);
            }
            return true;
        }

        private static IEnumerable<string> References(TypeSchema type)
        {
            foreach (WireField field in type.Members.Concat(type.VariantCases))
                for (WireType? t = field.Type; t is not null; t = t.Element)
                {
                    if (t.Kind == WireTypeKind.Named) yield return t.Name!;
                    if (t.Key is { Kind: WireTypeKind.Named, Name: { } key }) yield return key;
                }
        }

        public IReadOnlyList<(string Key, ContractDescriptor Contract, TypeSchema Type)> Components { get; }

        public Func<string, string> For(ContractDescriptor contract)
            => name => "#/components/schemas/" + (_keys.TryGetValue((contract.Name, name), out string? key) ? key : name);

        private static string Render(TypeSchema type)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer)) WriteNamedType(w, type, name => name);
            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}
