using System.Globalization;
using System.Text.Json;
using SidecarKit.Schema;

namespace SidecarKit.Lifecycle;

/// <summary>
/// The announcement of a contract's shape (<see cref="SidecarContractInfo"/>) from its <see cref="ContractSchema"/> and
/// back, and as the JSON of the ready line. The announcement travels in every format (it is the
/// <c>lifecycle.ready</c> notification's parameter too); this is the one place that maps it to the schema model.
/// </summary>
internal static class ContractShapes
{
    public static SidecarContractInfo Describe(ContractDescriptor contract)
    {
        ContractSchema schema = contract.Schema;
        return new SidecarContractInfo(contract.Name, contract.Fingerprint,
            [.. schema.Methods.Select(m => new SidecarMethodInfo(m.WireName, KindName(m.Kind), [.. m.Parameters.Select(Field)], m.Result?.ToString())
            {
                Input = m.Input is { } input ? Field(input) : null,
                Progress = m.Progress?.ToString(),
            })],
            [.. schema.Types.Select(t => t.Kind == TypeSchemaKind.Enum
                ? new SidecarTypeInfo(t.Name, "enum", null, t.Values)
                : new SidecarTypeInfo(t.Name, "object", [.. t.Members.Select(Field)], null, t.IsPolymorphic ? [.. t.VariantCases.Select(Field)] : null))]);
    }

    private static SidecarFieldInfo Field(WireField f) => new(f.Name, f.Type.ToString(), f.Number, f.IsOptional);

    public static string KindName(MethodKind kind) => kind switch
    {
        MethodKind.Notification => "notification",
        MethodKind.ServerStream => "stream",
        MethodKind.ClientStream => "clientStream",
        MethodKind.DuplexStream => "duplexStream",
        _ => "request",
    };

    /// <summary>
    /// The announced shape as a schema, or null when it was not announced in full (a sidecar in another language that
    /// names its methods only): then only the methods' presence can be compared.
    /// </summary>
    /// <exception cref="FormatException">A type or kind that no SidecarKit build writes.</exception>
    public static ContractSchema? ToSchema(SidecarContractInfo info)
    {
        if (info.Methods is not { } methods || methods.Any(m => m.Kind is null || m.Params is null)) return null;
        var result = new List<MethodSchema>(methods.Count);
        foreach (SidecarMethodInfo m in methods)
        {
            WireType? type = m.Result is null ? null : WireType.Parse(m.Result);
            MethodKind kind = m.Kind switch
            {
                "request" => type is null ? MethodKind.UnaryVoid : MethodKind.Unary,
                "notification" => MethodKind.Notification,
                "stream" => MethodKind.ServerStream,
                "clientStream" => MethodKind.ClientStream,
                "duplexStream" => MethodKind.DuplexStream,
                _ => throw new FormatException($"Method '{m.Name}' has the unknown kind '{m.Kind}'."),
            };
            WireField? input = m.Input is { } i ? Field(i, m.Params!.Count) : null;
            if ((kind is MethodKind.ClientStream or MethodKind.DuplexStream) != input is not null)
                throw new FormatException($"Method '{m.Name}' of kind '{m.Kind}' {(input is null ? "has no" : "cannot have an")} input.");
            result.Add(new MethodSchema(m.Name, kind, [.. m.Params!.Select(Field)], type, Input: input,
                Progress: m.Progress is null ? null : WireType.Parse(m.Progress)));
        }
        var types = new List<TypeSchema>();
        foreach (SidecarTypeInfo t in info.Types ?? [])
        {
            types.Add(t.Kind switch
            {
                "enum" => new TypeSchema(t.Name, TypeSchemaKind.Enum, [], t.Values ?? []),
                "object" => new TypeSchema(t.Name, TypeSchemaKind.Object, [.. (t.Members ?? []).Select(Field)], [],
                    Variants: t.Variants is { Count: > 0 } variants ? [.. variants.Select(Field)] : null),
                _ => throw new FormatException($"Type '{t.Name}' has the unknown kind '{t.Kind}'."),
            });
        }
        return new ContractSchema(result, types);
    }

    // A field announced without its number has its position's (the generator's rule for an unpinned field).
    private static WireField Field(SidecarFieldInfo f, int index) => new(f.Name, WireType.Parse(f.Type), f.Number > 0 ? f.Number : index + 1, f.Optional);

    public static void WriteJson(Utf8JsonWriter w, string property, IReadOnlyList<SidecarContractInfo> contracts)
    {
        w.WriteStartArray(property);
        foreach (SidecarContractInfo c in contracts)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            if (c.Fingerprint is not null) w.WriteString("fingerprint", c.Fingerprint);
            if (c.Methods is { } methods)
            {
                w.WriteStartArray("methods");
                foreach (SidecarMethodInfo m in methods)
                {
                    w.WriteStartObject();
                    w.WriteString("name", m.Name);
                    if (m.Kind is not null) w.WriteString("kind", m.Kind);
                    if (m.Params is not null) WriteFields(w, "params", m.Params);
                    if (m.Input is { } input)
                    {
                        w.WritePropertyName("input");
                        WriteField(w, input);
                    }
                    if (m.Progress is not null) w.WriteString("progress", m.Progress);
                    if (m.Result is not null) w.WriteString("result", m.Result);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (c.Types is { } types)
            {
                w.WriteStartArray("types");
                foreach (SidecarTypeInfo t in types)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteString("kind", t.Kind);
                    if (t.Members is not null) WriteFields(w, "members", t.Members);
                    if (t.Variants is not null) WriteFields(w, "variants", t.Variants);
                    if (t.Values is not null)
                    {
                        w.WriteStartArray("values");
                        foreach (string v in t.Values) w.WriteStringValue(v);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteFields(Utf8JsonWriter w, string property, IReadOnlyList<SidecarFieldInfo> fields)
    {
        w.WriteStartArray(property);
        foreach (SidecarFieldInfo f in fields) WriteField(w, f);
        w.WriteEndArray();
    }

    private static void WriteField(Utf8JsonWriter w, SidecarFieldInfo f)
    {
        w.WriteStartObject();
        w.WriteString("name", f.Name);
        w.WriteString("type", f.Type);
        w.WriteNumber("number", f.Number);
        if (f.Optional) w.WriteBoolean("optional", true);
        w.WriteEndObject();
    }

    /// <summary>The contracts under <paramref name="property"/>, or null when absent. Members a newer side adds are skipped.</summary>
    public static IReadOnlyList<SidecarContractInfo>? ReadJson(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out JsonElement list) || list.ValueKind != JsonValueKind.Array) return null;
        var contracts = new List<SidecarContractInfo>();
        foreach (JsonElement c in list.EnumerateArray())
        {
            List<SidecarMethodInfo>? methods = null;
            if (c.TryGetProperty("methods", out JsonElement ms) && ms.ValueKind == JsonValueKind.Array)
            {
                methods = [];
                foreach (JsonElement m in ms.EnumerateArray())
                    methods.Add(m.ValueKind == JsonValueKind.String
                        ? new SidecarMethodInfo(m.GetString()!) // a bare name: what a hand-written sidecar may announce
                        : new SidecarMethodInfo(Required(m, "name"), String(m, "kind"), ReadFields(m, "params"), String(m, "result"))
                        {
                            Input = m.TryGetProperty("input", out JsonElement input) && input.ValueKind == JsonValueKind.Object ? ReadField(input) : null,
                            Progress = String(m, "progress"),
                        });
            }
            List<SidecarTypeInfo>? types = null;
            if (c.TryGetProperty("types", out JsonElement ts) && ts.ValueKind == JsonValueKind.Array)
            {
                types = [];
                foreach (JsonElement t in ts.EnumerateArray())
                {
                    List<string>? values = t.TryGetProperty("values", out JsonElement vs) && vs.ValueKind == JsonValueKind.Array
                        ? [.. vs.EnumerateArray().Select(v => v.GetString() ?? "")]
                        : null;
                    types.Add(new SidecarTypeInfo(Required(t, "name"), Required(t, "kind"), ReadFields(t, "members"), values, ReadFields(t, "variants")));
                }
            }
            contracts.Add(new SidecarContractInfo(Required(c, "name"), String(c, "fingerprint"), methods, types));
        }
        return contracts;
    }

    private static List<SidecarFieldInfo>? ReadFields(JsonElement owner, string property)
    {
        if (!owner.TryGetProperty(property, out JsonElement list) || list.ValueKind != JsonValueKind.Array) return null;
        var fields = new List<SidecarFieldInfo>();
        foreach (JsonElement f in list.EnumerateArray()) fields.Add(ReadField(f));
        return fields;
    }

    private static SidecarFieldInfo ReadField(JsonElement f)
    {
        int number = f.TryGetProperty("number", out JsonElement n) && n.TryGetInt32(out int x) ? x : 0;
        bool optional = f.TryGetProperty("optional", out JsonElement o) && o.ValueKind == JsonValueKind.True;
        return new SidecarFieldInfo(Required(f, "name"), Required(f, "type"), number, optional);
    }

    private static string? String(JsonElement e, string name) => SidecarReadyInfo.String(e, name);

    private static string Required(JsonElement e, string name)
        => String(e, name) ?? throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"A contract announcement lacks its '{name}'."));
}
