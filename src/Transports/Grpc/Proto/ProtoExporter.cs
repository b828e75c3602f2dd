using System.Globalization;
using System.Text;
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
    /// <exception cref="FormatException">The contract's description names a type the mapping does not know.</exception>
    public static ProtoFile Export(ContractDescriptor contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return new Writer(ContractShape.Parse(contract.DescriptionJson)).Write();
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
                text.Append("  rpc ").Append(rpc.Name).Append('(').Append(rpc.Request).Append(") returns (")
                    .Append(rpc.ServerStreaming ? "stream " : "").Append(rpc.Response).Append(");\n");
            text.Append("}\n");
        }
        foreach (ProtoMessageDecl message in model.Messages)
        {
            text.Append("\nmessage ").Append(message.Name).Append(" {");
            if (message.Fields.Count == 0 && message.Enums is not { Count: > 0 }) { text.Append("}\n"); continue; }
            text.Append('\n');
            foreach (ProtoEnumDecl e in message.Enums ?? [])
            {
                text.Append("  enum ").Append(e.Name).Append(" {\n");
                foreach ((string name, int number) in e.Values)
                    text.Append("    ").Append(name).Append(" = ").Append(number.ToString(CultureInfo.InvariantCulture)).Append(";\n");
                text.Append("  }\n");
            }
            foreach (ProtoFieldDecl f in message.Fields) text.Append("  ").Append(f).Append('\n');
            text.Append("}\n");
        }
        return text.ToString();
    }

    private sealed class Writer(ContractShape contract)
    {
        private readonly Dictionary<string, TypeShape> _types = contract.Types.ToDictionary(t => t.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);   // wire type name → message name
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
        private readonly List<ProtoMessageDecl> _messages = [];
        private readonly Dictionary<string, string> _wrappers = new(StringComparer.Ordinal);   // wire type → wrapper message
        private readonly SortedSet<string> _imports = new(StringComparer.Ordinal);

        public ProtoFile Write()
        {
            foreach (TypeShape t in contract.Types)
                if (t.Kind == "object") _typeNames[t.Name] = Reserve(Pascal(t.Name));

            var rpcs = new List<ProtoRpcDecl>();
            foreach (MethodShape m in contract.Methods)
            {
                string rpc = RpcName(contract.Name, m.WireName);
                string request = Reserve(rpc + "Request");
                var fields = new List<ProtoFieldDecl>();
                for (int i = 0; i < m.Parameters.Count; i++)
                    fields.Add(Field(m.Parameters[i].WireType, Snake(m.Parameters[i].Name), m.Parameters[i].Number, m.Parameters[i].Optional));
                _messages.Add(new ProtoMessageDecl(request, fields));

                string response;
                if (m.Result is null)
                {
                    _imports.Add("google/protobuf/empty.proto");
                    response = "google.protobuf.Empty";
                }
                else
                {
                    response = Reserve(rpc + "Response");
                    _messages.Add(new ProtoMessageDecl(response, [Field(m.Result, m.Kind == "stream" ? "item" : "result", 1, optional: false)]));
                }
                rpcs.Add(new ProtoRpcDecl(rpc, request, response, ServerStreaming: m.Kind == "stream"));
            }
            foreach (TypeShape t in contract.Types)
            {
                if (t.Kind != "object") continue;
                var fields = new List<ProtoFieldDecl>();
                for (int i = 0; i < t.Members.Count; i++)
                    fields.Add(Field(t.Members[i].WireType, Snake(t.Members[i].Name), t.Members[i].Number, optional: false));
                _messages.Add(new ProtoMessageDecl(_typeNames[t.Name], fields));
            }

            string service = ServiceName(contract.Name);
            var model = new ProtoFileModel(Snake(contract.Name) + ".proto", PackageName(contract.Name), [.. _imports],
                [new ProtoServiceDecl(service, rpcs)], _messages);
            string header = $"// Generated by SidecarKit from the contract \"{contract.Name}\" (fingerprint {contract.Fingerprint}).\n"
                + "// Do not edit: print it again with `<sidecar> --describe proto`. Mapping: docs/grpc.md.\n";
            return new ProtoFile(model.FileName, model.Package, service, Render(model, header)) { Model = model };
        }

        private string Reserve(string name)
        {
            string unique = name;
            for (int n = 2; !_taken.Add(unique); n++) unique = name + n.ToString(CultureInfo.InvariantCulture);
            return unique;
        }

        // One field of a message. A nullable scalar and an optional parameter get proto3 `optional` (presence is
        // kept); a message has presence anyway; a list is `repeated` (a null list reads as empty); a map is a map.
        private ProtoFieldDecl Field(string wire, string name, int number, bool optional)
        {
            bool nullable = wire.EndsWith('?');
            string inner = nullable ? wire[..^1] : wire;
            if (inner.EndsWith("[]", StringComparison.Ordinal))
                return new ProtoFieldDecl(ProtoLabel.Repeated, Element(inner[..^2]), name, number);
            if (IsMap(inner))
                return new ProtoFieldDecl(ProtoLabel.Map, Element(MapValue(inner)), name, number);
            string type = Single(inner);
            bool presence = (nullable || optional) && !IsMessage(type);
            return new ProtoFieldDecl(presence ? ProtoLabel.Optional : ProtoLabel.Singular, type, name, number);
        }

        // The type of one element of a repeated field or one value of a map. Protobuf cannot nest repeated fields or
        // maps, nor hold a null element, so those get a wrapper message.
        private string Element(string wire)
        {
            if (wire.EndsWith('?'))
            {
                string inner = wire[..^1];
                return Wrapper("Optional" + Readable(inner), wire, Field(wire, "value", 1, optional: false));
            }
            if (wire.EndsWith("[]", StringComparison.Ordinal))
                return Wrapper(Readable(wire), wire, new ProtoFieldDecl(ProtoLabel.Repeated, Element(wire[..^2]), "items", 1));
            if (IsMap(wire))
                return Wrapper(Readable(wire), wire, new ProtoFieldDecl(ProtoLabel.Map, Element(MapValue(wire)), "entries", 1));
            return Single(wire);
        }

        private string Wrapper(string name, string wire, ProtoFieldDecl field)
        {
            if (_wrappers.TryGetValue(wire, out string? existing)) return existing;
            string unique = Reserve(name);
            _wrappers[wire] = unique;
            _messages.Add(new ProtoMessageDecl(unique, [field]));
            return unique;
        }

        // A readable name for a wire type, for wrapper messages: int32[] → Int32List, map<string,int32> → Int32Map.
        private string Readable(string wire)
        {
            if (wire.EndsWith('?')) return "Optional" + Readable(wire[..^1]);
            if (wire.EndsWith("[]", StringComparison.Ordinal)) return Readable(wire[..^2]) + "List";
            if (IsMap(wire)) return Readable(MapValue(wire)) + "Map";
            return _typeNames.TryGetValue(wire, out string? message) ? message : Pascal(wire);
        }

        private static bool IsMap(string wire) => wire.StartsWith("map<string,", StringComparison.Ordinal) && wire.EndsWith('>');

        private static string MapValue(string wire) => wire["map<string,".Length..^1];

        private bool IsMessage(string protoType) => _typeNames.ContainsValue(protoType) || protoType.StartsWith("google.protobuf.", StringComparison.Ordinal);

        private string Single(string wire)
        {
            switch (wire)
            {
                case "bool": return "bool";
                case "int8" or "int16" or "int32": return "int32";
                case "uint8" or "uint16" or "uint32": return "uint32";
                case "int64": return "int64";
                case "uint64": return "uint64";
                case "float32": return "float";
                case "float64": return "double";
                case "string" or "char" or "guid" or "decimal": return "string";
                case "bytes": return "bytes";
                case "datetime" or "datetimeoffset":
                    _imports.Add("google/protobuf/timestamp.proto");
                    return "google.protobuf.Timestamp";
                case "timespan":
                    _imports.Add("google/protobuf/duration.proto");
                    return "google.protobuf.Duration";
            }
            if (_types.TryGetValue(wire, out TypeShape? type))
                return type.Kind == "enum" ? "string" : _typeNames[wire]; // enums travel as their camelCase names, as on the other transports
            throw new FormatException($"The contract '{contract.Name}' uses the type '{wire}', which has no Protocol Buffers mapping.");
        }
    }
}
