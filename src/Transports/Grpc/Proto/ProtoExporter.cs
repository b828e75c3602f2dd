using System.Globalization;
using System.Text;
using SidecarKit.Schema;
using Callbacks_ = SidecarKit.Transports.Grpc.Callbacks;

namespace SidecarKit.Transports.Grpc.Proto;

/// <summary>
/// Turns a contract into a proto3 file: one service per contract, one rpc per method, a request message per method
/// (the parameters as fields, numbered in declaration order) and a response message wrapping the result. The output
/// is deterministic: the same contract always gives the same text. The mapping is in <c>docs/grpc.md</c>.
/// </summary>
public static class ProtoExporter
{
    /// <summary>The package every contract's package starts with.</summary>
    public const string PackagePrefix = "sidecarkit";

    /// <summary>Exports one contract.</summary>
    /// <exception cref="FormatException">The contract's schema names a type it does not define.</exception>
    public static ProtoFile Export(ContractDescriptor contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return new Writer(contract).Write();
    }

    /// <summary>
    /// Exports several contracts as the text <c>--describe proto</c> prints: one file's text as it is, or each file after
    /// a <c>// file: name.proto</c> line.
    /// </summary>
    public static string ExportAll(IReadOnlyList<ContractDescriptor> contracts)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        if (contracts.Count == 1) return Export(contracts[0]).Text;
        var all = new StringBuilder();
        foreach (ContractDescriptor contract in contracts)
        {
            ProtoFile file = Export(contract);
            all.Append("// file: ").Append(file.FileName).Append('\n').Append(file.Text).Append('\n');
        }
        return all.ToString();
    }

    /// <summary>
    /// The service that carries a sidecar's calls to its parent over gRPC (<c>sidecarkit.callbacks.Callbacks</c>,
    /// docs/grpc.md, "Callbacks"): a parent written in another language implements its side from this file and its
    /// callback contracts' own exports.
    /// </summary>
    public static ProtoFile Callbacks { get; } = new("sidecarkit_callbacks.proto", "sidecarkit.callbacks", "Callbacks", Callbacks_.CallbackMessages.Proto);

    /// <summary>The rpc name of a method: its wire name without the contract prefix, in PascalCase (<c>demo.add</c> → <c>Add</c>).</summary>
    public static string RpcName(string contract, string wireName)
    {
        string local = wireName.StartsWith(contract + ".", StringComparison.Ordinal) ? wireName[(contract.Length + 1)..] : wireName;
        return Pascal(local);
    }

    /// <summary>The service's name: the contract's wire name in PascalCase (<c>demoEvents</c> → <c>DemoEvents</c>).</summary>
    public static string ServiceName(string contract) => Pascal(contract);

    /// <summary>The service's full name, as paths and health name it: <c>sidecarkit.demo.Demo</c>.</summary>
    public static string QualifiedServiceName(string contract) => PackageName(contract) + "." + ServiceName(contract);

    /// <summary>The package: <c>sidecarkit.</c> and the contract's name in snake_case (<c>demoEvents</c> → <c>sidecarkit.demo_events</c>).</summary>
    public static string PackageName(string contract) => PackagePrefix + "." + string.Join(".", contract.Split('.').Select(Snake));

    internal static string Pascal(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c)) { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, 'T');
        return sb.ToString();
    }

    internal static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (!char.IsAsciiLetterOrDigit(c)) { if (sb.Length > 0 && sb[^1] != '_') sb.Append('_'); continue; }
            if (char.IsAsciiLetterUpper(c))
            {
                bool boundary = i > 0 && (char.IsAsciiLetterLower(name[i - 1]) || char.IsAsciiDigit(name[i - 1])
                    || (i + 1 < name.Length && char.IsAsciiLetterLower(name[i + 1]) && char.IsAsciiLetterUpper(name[i - 1])));
                if (boundary && sb.Length > 0 && sb[^1] != '_') sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        string s = sb.ToString().Trim('_');
        return s.Length == 0 || char.IsAsciiDigit(s[0]) ? "f_" + s : s;
    }

    /// <summary>The file's text: <paramref name="header"/> (comment lines), then the declarations in order.</summary>
    internal static string Render(ProtoFileModel model, string header)
    {
        var text = new StringBuilder(header);
        text.Append("syntax = \"proto3\";\n\npackage ").Append(model.Package).Append(";\n");
        if (model.Imports.Count > 0) text.Append('\n');
        foreach (string import in model.Imports) text.Append("import \"").Append(import).Append("\";\n");
        foreach (ProtoServiceDecl service in model.Services)
        {
            text.Append("\nservice ").Append(service.Name).Append(" {\n");
            foreach (ProtoRpcDecl rpc in service.Rpcs)
                text.Append("  rpc ").Append(rpc.Name).Append('(').Append(rpc.ClientStreaming ? "stream " : "").Append(rpc.Request).Append(") returns (")
                    .Append(rpc.ServerStreaming ? "stream " : "").Append(rpc.Response).Append(");\n");
            text.Append("}\n");
        }
        foreach (ProtoMessageDecl message in model.Messages)
        {
            text.Append("\nmessage ").Append(message.Name).Append(" {");
            if (message.Fields.Count == 0 && message.Enums is not { Count: > 0 } && message.Reserved is not { Count: > 0 }) { text.Append("}\n"); continue; }
            text.Append('\n');
            // Removed fields' numbers ([SidecarReserved]): protoc then refuses any field given one of them again.
            if (message.Reserved is { Count: > 0 } reserved)
                text.Append("  reserved ").Append(string.Join(", ", reserved.Select(n => n.ToString(CultureInfo.InvariantCulture)))).Append(";\n");
            foreach (ProtoEnumDecl e in message.Enums ?? [])
            {
                text.Append("  enum ").Append(e.Name).Append(" {\n");
                foreach ((string name, int number) in e.Values)
                    text.Append("    ").Append(name).Append(" = ").Append(number.ToString(CultureInfo.InvariantCulture)).Append(";\n");
                text.Append("  }\n");
            }
            if (message.Oneof is { } oneof)
            {
                text.Append("  oneof ").Append(oneof).Append(" {\n");
                foreach (ProtoFieldDecl f in message.Fields) text.Append("    ").Append(f).Append('\n');
                text.Append("  }\n");
            }
            else
            {
                foreach (ProtoFieldDecl f in message.Fields) text.Append("  ").Append(f).Append('\n');
            }
            text.Append("}\n");
        }
        return text.ToString();
    }

    private sealed class Writer(ContractDescriptor contract)
    {
        private readonly ContractSchema _schema = contract.Schema;
        private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);   // named type → message name
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
        private readonly List<ProtoMessageDecl> _messages = [];
        private readonly Dictionary<WireType, string> _wrappers = [];   // element type → wrapper message
        private readonly SortedSet<string> _imports = new(StringComparer.Ordinal);

        public ProtoFile Write()
        {
            foreach (TypeSchema t in _schema.Types)
                if (t.Kind == TypeSchemaKind.Object) _typeNames[t.Name] = Reserve(Pascal(t.Name));

            var rpcs = new List<ProtoRpcDecl>();
            foreach (MethodSchema m in _schema.Methods)
            {
                string rpc = RpcName(contract.Name, m.WireName);
                string request = Reserve(rpc + "Request");
                var fields = new List<ProtoFieldDecl>();
                foreach (WireField p in m.Parameters)
                    fields.Add(Field(p.Type, Snake(p.Name), p.Number, p.IsOptional));
                // A streamed parameter: one more field, optional (presence says whether a message carries an item),
                // in the params' numbering; each message of the request stream carries one item (docs/grpc.md).
                if (m.Input is { } input)
                    fields.Insert(fields.FindIndex(f => f.Number > input.Number) is int at and >= 0 ? at : fields.Count,
                        Field(input.Type, Snake(input.Name), input.Number, optional: true));
                _messages.Add(new ProtoMessageDecl(request, fields, Reserved: m.ReservedNumbers));

                bool stream = m.Kind is MethodKind.ServerStream or MethodKind.DuplexStream;
                string response;
                if (m.Result is null)
                {
                    _imports.Add("google/protobuf/empty.proto");
                    response = "google.protobuf.Empty";
                }
                else
                {
                    response = Reserve(rpc + "Response");
                    _messages.Add(new ProtoMessageDecl(response, [Field(m.Result, stream ? "item" : "result", 1, optional: false)]));
                }
                rpcs.Add(new ProtoRpcDecl(rpc, request, response, ServerStreaming: stream, ClientStreaming: m.Input is not null));
            }
            foreach (TypeSchema t in _schema.Types)
            {
                if (t.Kind != TypeSchemaKind.Object) continue;
                if (t.IsPolymorphic)
                {
                    Polymorphic(t);
                    continue;
                }
                var fields = new List<ProtoFieldDecl>();
                foreach (WireField member in t.Members)
                    fields.Add(Field(member.Type, Snake(member.Name), member.Number, optional: false));
                _messages.Add(new ProtoMessageDecl(_typeNames[t.Name], fields, Reserved: t.ReservedNumbers));
            }

            string service = ServiceName(contract.Name);
            var model = new ProtoFileModel(Snake(contract.Name) + ".proto", PackageName(contract.Name), [.. _imports],
                [new ProtoServiceDecl(service, rpcs)], _messages);
            string header = $"// Generated by SidecarKit from the contract \"{contract.Name}\" (fingerprint {contract.Fingerprint}).\n"
                + "// Do not edit: print it again with `<sidecar> --describe proto`. Mapping: docs/grpc.md.\n";
            return new ProtoFile(model.FileName, model.Package, service, Render(model, header)) { Model = model };
        }

        /// <summary>The name of the <c>oneof</c> of a polymorphic base's message.</summary>
        public const string VariantOneof = "variant";

        // A polymorphic base ([SidecarDerivedType]): its message is one oneof whose cases are the derived types' messages
        // (fields named after the discriminators, numbered by the tags); the base itself, when it is not abstract, is the
        // case named after it, whose message (<Base>Value) holds the base's own members.
        private void Polymorphic(TypeSchema t)
        {
            var cases = new List<ProtoFieldDecl>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (WireField v in t.VariantCases)
            {
                string message;
                string name;
                if (v.Name.Length == 0)
                {
                    message = Reserve(_typeNames[t.Name] + "Value");
                    var own = new List<ProtoFieldDecl>();
                    foreach (WireField member in t.Members)
                        own.Add(Field(member.Type, Snake(member.Name), member.Number, optional: false));
                    _messages.Add(new ProtoMessageDecl(message, own, Reserved: t.ReservedNumbers));
                    name = Snake(t.Name);
                }
                else
                {
                    message = Single(v.Type);
                    name = Snake(v.Name);
                }
                string unique = name;
                for (int n = 2; !names.Add(unique); n++) unique = name + n.ToString(CultureInfo.InvariantCulture);
                cases.Add(new ProtoFieldDecl(ProtoLabel.Singular, message, unique, v.Number));
            }
            _messages.Add(new ProtoMessageDecl(_typeNames[t.Name], cases, Oneof: VariantOneof));
        }

        private string Reserve(string name)
        {
            string unique = name;
            for (int n = 2; !_taken.Add(unique); n++) unique = name + n.ToString(CultureInfo.InvariantCulture);
            return unique;
        }

        // One field of a message. A nullable scalar and an optional parameter get proto3 `optional` (presence is
        // kept); a message has presence anyway; a list is `repeated` (a null list reads as empty); a map is a map.
        private ProtoFieldDecl Field(WireType type, string name, int number, bool optional)
        {
            WireType inner = type.NonNullable;
            if (inner.Kind == WireTypeKind.List)
                return new ProtoFieldDecl(ProtoLabel.Repeated, Element(inner.Element!), name, number);
            if (inner.Kind == WireTypeKind.Map)
                return new ProtoFieldDecl(ProtoLabel.Map, Element(inner.Element!), name, number, Single(inner.Key!));   // enum and guid keys: string
            string proto = Single(inner);
            bool presence = (type.IsNullable || optional) && !IsMessage(proto);
            return new ProtoFieldDecl(presence ? ProtoLabel.Optional : ProtoLabel.Singular, proto, name, number);
        }

        // The type of one element of a repeated field or one value of a map. Protobuf cannot nest repeated fields or
        // maps, nor hold a null element, so those get a wrapper message.
        private string Element(WireType type) => type.Kind switch
        {
            WireTypeKind.Nullable => Wrapper(Readable(type), type, Field(type, "value", 1, optional: false)),
            WireTypeKind.List => Wrapper(Readable(type), type, new ProtoFieldDecl(ProtoLabel.Repeated, Element(type.Element!), "items", 1)),
            WireTypeKind.Map => Wrapper(Readable(type), type, new ProtoFieldDecl(ProtoLabel.Map, Element(type.Element!), "entries", 1, Single(type.Key!))),
            _ => Single(type),
        };

        private string Wrapper(string name, WireType type, ProtoFieldDecl field)
        {
            if (_wrappers.TryGetValue(type, out string? existing)) return existing;
            string unique = Reserve(name);
            _wrappers[type] = unique;
            _messages.Add(new ProtoMessageDecl(unique, [field]));
            return unique;
        }

        // A readable name for a type, for wrapper messages: int32[] → Int32List, map<string,int32> → Int32Map.
        private string Readable(WireType type) => type.Kind switch
        {
            WireTypeKind.Nullable => "Optional" + Readable(type.Element!),
            WireTypeKind.List => Readable(type.Element!) + "List",
            WireTypeKind.Map => Readable(type.Element!) + (type.Key is { Kind: WireTypeKind.Scalar, Scalar: WireScalar.String } ? "" : "By" + Readable(type.Key!)) + "Map",
            WireTypeKind.Named when _typeNames.TryGetValue(type.Name!, out string? message) => message,
            _ => Pascal(type.ToString()),
        };

        private bool IsMessage(string protoType) => _typeNames.ContainsValue(protoType) || protoType.StartsWith("google.protobuf.", StringComparison.Ordinal);

        private string Single(WireType type)
        {
            if (type.Kind == WireTypeKind.Named)
            {
                TypeSchema named = _schema.FindType(type.Name!)
                    ?? throw new FormatException($"The contract '{contract.Name}' uses the type '{type.Name}', which its schema does not define.");
                return named.Kind == TypeSchemaKind.Enum ? "string" : _typeNames[named.Name]; // enums travel as their camelCase names, as on the other transports
            }
            switch (type.Scalar)
            {
                case WireScalar.Bool: return "bool";
                case WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32: return "int32";
                case WireScalar.UInt8 or WireScalar.UInt16 or WireScalar.UInt32: return "uint32";
                case WireScalar.Int64: return "int64";
                case WireScalar.UInt64: return "uint64";
                case WireScalar.Float32 or WireScalar.Float16: return "float";
                case WireScalar.Float64: return "double";
                case WireScalar.Bytes: return "bytes";
                case WireScalar.DateTime or WireScalar.DateTimeOffset:
                    _imports.Add("google/protobuf/timestamp.proto");
                    return "google.protobuf.Timestamp";
                case WireScalar.TimeSpan:
                    _imports.Add("google/protobuf/duration.proto");
                    return "google.protobuf.Duration";
                default: return "string";   // string, char, guid, decimal, date, time, int128, uint128
            }
        }
    }
}
