using System.Text.Json;

namespace SidecarKit.Transports.Grpc.Proto;

/// <summary>A contract's wire shape, read back from the description the generator emitted (no reflection involved).</summary>
internal sealed record ContractShape(string Name, string Fingerprint, IReadOnlyList<MethodShape> Methods, IReadOnlyList<TypeShape> Types)
{
    public static ContractShape Parse(string descriptionJson)
    {
        using JsonDocument doc = JsonDocument.Parse(descriptionJson);
        JsonElement root = doc.RootElement;
        var methods = new List<MethodShape>();
        foreach (JsonElement m in root.GetProperty("methods").EnumerateArray())
        {
            var parameters = new List<FieldShape>();
            foreach (JsonElement p in m.GetProperty("params").EnumerateArray())
                parameters.Add(new FieldShape(p.GetProperty("name").GetString()!, p.GetProperty("type").GetString()!,
                    p.TryGetProperty("optional", out JsonElement o) && o.GetBoolean(), Field(p, parameters.Count)));
            methods.Add(new MethodShape(
                m.GetProperty("name").GetString()!,
                m.GetProperty("kind").GetString()!,
                parameters,
                m.TryGetProperty("result", out JsonElement r) ? r.GetString() : m.TryGetProperty("items", out JsonElement i) ? i.GetString() : null));
        }
        var types = new List<TypeShape>();
        foreach (JsonProperty t in root.GetProperty("types").EnumerateObject())
        {
            string kind = t.Value.GetProperty("kind").GetString()!;
            var members = new List<FieldShape>();
            if (kind == "object")
                foreach (JsonElement member in t.Value.GetProperty("members").EnumerateArray())
                    members.Add(new FieldShape(member.GetProperty("name").GetString()!, member.GetProperty("type").GetString()!, false, Field(member, members.Count)));
            types.Add(new TypeShape(t.Name, kind, members));
        }
        return new ContractShape(root.GetProperty("contract").GetString()!, root.GetProperty("fingerprint").GetString()!, methods, types);
    }

    // [SidecarField(n)] when given (the generator checked it), else the position from 1.
    private static int Field(JsonElement field, int index) => field.TryGetProperty("field", out JsonElement n) ? n.GetInt32() : index + 1;
}

/// <summary>A method: <see cref="Kind"/> is <c>request</c>, <c>stream</c> or <c>notification</c>; <see cref="Result"/> is the result or item type, if any.</summary>
internal sealed record MethodShape(string WireName, string Kind, IReadOnlyList<FieldShape> Parameters, string? Result);

/// <summary>A parameter or DTO member with its wire type (<c>int32</c>, <c>string?</c>, <c>Person[]</c>, <c>map&lt;string,int32&gt;</c>) and field number.</summary>
internal sealed record FieldShape(string Name, string WireType, bool Optional, int Number);

/// <summary>A named type of the contract: <see cref="Kind"/> is <c>object</c> or <c>enum</c>.</summary>
internal sealed record TypeShape(string Name, string Kind, IReadOnlyList<FieldShape> Members);
