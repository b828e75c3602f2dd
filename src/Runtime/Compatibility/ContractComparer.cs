using SidecarKit.Schema;

namespace SidecarKit.Compatibility;

/// <summary>
/// The compatibility rules of docs/compatibility.md, applied to two builds of one contract: the caller's (who sends
/// the parameters and reads the results) and the server's. Data that flows from a writer to a reader is compatible
/// when the reader finds everything it requires and understands the types of what it finds; whatever it does not
/// know it skips. How fields are found (by name, number or position) is the transport's <see cref="WireLayout"/>.
/// </summary>
internal sealed class ContractComparer
{
    private readonly ContractSchema _caller;
    private readonly ContractSchema _server;
    private readonly WireLayout _layout;
    private readonly string _callerRole;
    private readonly string _serverRole;
    private readonly List<string> _breaking = [];
    private readonly List<string> _notes = [];
    private readonly HashSet<(string, string, bool)> _compared = [];

    private ContractComparer(ContractSchema caller, ContractSchema server, WireLayout layout, string callerRole, string serverRole)
    {
        _caller = caller;
        _server = server;
        _layout = layout;
        _callerRole = callerRole;
        _serverRole = serverRole;
    }

    /// <summary>
    /// Compares <paramref name="caller"/> with what the server announced: its full <paramref name="server"/> schema, or
    /// when that is null its method names alone.
    /// </summary>
    /// <param name="caller">The caller's build of the contract.</param>
    /// <param name="server">The server's build, or null when it announced its method names only.</param>
    /// <param name="serverMethods">The server's method names.</param>
    /// <param name="layout">How the transport finds parameters and members.</param>
    /// <param name="callerRole">How messages name the caller (<c>this program</c>, <c>the sidecar</c>).</param>
    /// <param name="serverRole">How messages name the server.</param>
    public static ContractComparison Compare(ContractSchema caller, ContractSchema? server, IReadOnlyCollection<string> serverMethods,
        WireLayout layout, string callerRole, string serverRole)
    {
        var callerMethods = caller.Methods.Select(m => m.WireName).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<string> missingOnServer = [.. callerMethods.Where(m => !serverMethods.Contains(m))];
        IReadOnlyList<string> missingOnCaller = [.. serverMethods.Where(m => !callerMethods.Contains(m))];
        if (server is null) return new(missingOnServer, missingOnCaller, [], [], ShapesCompared: false);
        var comparer = new ContractComparer(caller, server, layout, callerRole, serverRole);
        foreach (MethodSchema mine in caller.Methods)
        {
            MethodSchema? theirs = server.Methods.FirstOrDefault(m => m.WireName == mine.WireName);
            if (theirs is not null) comparer.CompareMethod(mine, theirs);
        }
        return new(missingOnServer, missingOnCaller, comparer._breaking, comparer._notes, ShapesCompared: true);
    }

    private void CompareMethod(MethodSchema caller, MethodSchema server)
    {
        string method = caller.WireName;
        if (Category(caller.Kind) != Category(server.Kind))
        {
            _breaking.Add($"{method}: {_callerRole} calls it as a {Category(caller.Kind)}, {_serverRole} serves it as a {Category(server.Kind)}");
            return;
        }
        // The parameters travel as an object from the caller to the server.
        CompareFields(method, "parameter", caller.Parameters, _caller, server.Parameters, _server, _layout.Params, parameters: true,
            writer: _callerRole, reader: _serverRole);
        // Progress reports from the server to the caller: read like values of the caller's T. One side without progress
        // is compatible (a server that reports none leaves the caller's IProgress untouched; reports nobody asked for
        // are ignored), so only two types can disagree.
        if (server.Progress is { } reports && caller.Progress is { } expected)
            CompareFlow($"{method}: its progress reports", reports, _server, expected, _caller, writer: _serverRole, reader: _callerRole);
        // A streamed parameter's items from the caller to the server, each read like a value of the item type.
        if (caller.Input is { } callerInput && server.Input is { } serverInput)
            CompareFlow($"{method}: the items of {callerInput.Name}", callerInput.Type, _caller, serverInput.Type, _server, writer: _callerRole, reader: _serverRole);
        // The result (a stream's items) from the server to the caller; a caller that expects nothing ignores it.
        if (caller.Result is null) return;
        if (server.Result is null)
        {
            _breaking.Add($"{method}: {_callerRole} expects a result of type {caller.Result}, {_serverRole} returns none");
            return;
        }
        CompareFlow($"{method}: the result", server.Result, _server, caller.Result, _caller, writer: _serverRole, reader: _callerRole);
    }

    private static string Category(MethodKind kind) => kind switch
    {
        MethodKind.Notification => "notification",
        MethodKind.ServerStream => "stream",
        MethodKind.ClientStream => "client stream",
        MethodKind.DuplexStream => "bidirectional stream",
        _ => "request",
    };

    // A value written as `from` in the writer's schema and read as `to` in the reader's.
    private void CompareFlow(string where, WireType from, ContractSchema fromSchema, WireType to, ContractSchema toSchema, string writer, string reader)
    {
        if (from.IsNullable && !to.IsNullable)
        {
            _breaking.Add($"{where} may be null ({from}) as {writer} writes it, but {reader} requires a value ({to})");
            return;
        }
        from = from.NonNullable;
        to = to.NonNullable;
        if (from.Kind != to.Kind)
        {
            _breaking.Add($"{where} changed type: {writer} writes {from}, {reader} reads {to}");
            return;
        }
        switch (from.Kind)
        {
            case WireTypeKind.Scalar:
                if (from.Scalar != to.Scalar && !Widens(from.Scalar, to.Scalar))
                    _breaking.Add($"{where} changed type: {writer} writes {from}, {reader} reads {to}");
                return;
            case WireTypeKind.List:
                CompareFlow(where + "'s items", from.Element!, fromSchema, to.Element!, toSchema, writer, reader);
                return;
            case WireTypeKind.Map:
                CompareFlow(where + "'s keys", from.Key!, fromSchema, to.Key!, toSchema, writer, reader);
                CompareFlow(where + "'s values", from.Element!, fromSchema, to.Element!, toSchema, writer, reader);
                return;
            default:
                CompareNamed(where, from.Name!, fromSchema, to.Name!, toSchema, writer, reader);
                return;
        }
    }

    // A type's name does not travel: two builds may call it differently and still agree on the wire.
    private void CompareNamed(string where, string fromName, ContractSchema fromSchema, string toName, ContractSchema toSchema, string writer, string reader)
    {
        bool callerWrites = ReferenceEquals(fromSchema, _caller);
        if (!_compared.Add((fromName, toName, callerWrites))) return; // compared already, or being compared (a recursive type)
        TypeSchema? from = fromSchema.FindType(fromName);
        TypeSchema? to = toSchema.FindType(toName);
        if (from is null || to is null)
        {
            _breaking.Add($"{where}: the type {(from is null ? fromName : toName)} is not described by {(from is null ? writer : reader)}");
            return;
        }
        if (from.Kind != to.Kind)
        {
            _breaking.Add($"{where}: {writer}'s {fromName} is an {Kind(from)}, {reader}'s {toName} an {Kind(to)}");
            return;
        }
        if (from.Kind == TypeSchemaKind.Enum)
        {
            List<string> unknown = [.. from.Values.Where(v => !to.Values.Contains(v))];
            if (unknown.Count > 0)
                _notes.Add($"{toName}: {reader} does not know the value{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown)} of {writer}; receiving one is an error naming it");
            return;
        }
        if (from.IsPolymorphic || to.IsPolymorphic)
        {
            CompareVariants(where, fromName, from, fromSchema, toName, to, toSchema, writer, reader);
            return;
        }
        CompareFields(toName, "member", from.Members, fromSchema, to.Members, toSchema, _layout.Members, parameters: false, writer, reader);
    }

    // A polymorphic base ([SidecarDerivedType]) on both sides: each case the writer may write is found among the reader's
    // (by tag in protobuf, by discriminator elsewhere) and its members compared. A case the reader does not know is
    // compatible only as long as it is never sent (receiving one is an error naming it): a note, like an unknown enum
    // value. A base that is polymorphic on one side only lays values out differently: breaking.
    private void CompareVariants(string where, string fromName, TypeSchema from, ContractSchema fromSchema, string toName, TypeSchema to, ContractSchema toSchema,
        string writer, string reader)
    {
        if (from.IsPolymorphic != to.IsPolymorphic)
        {
            _breaking.Add($"{where}: {(from.IsPolymorphic ? writer : reader)}'s {(from.IsPolymorphic ? fromName : toName)} declares derived types ([SidecarDerivedType]), "
                + $"{(from.IsPolymorphic ? reader : writer)}'s {(from.IsPolymorphic ? toName : fromName)} does not: their values are laid out differently");
            return;
        }
        foreach (WireField w in from.VariantCases)
        {
            WireField? r = _layout.Members == FieldKey.Number
                ? to.VariantCases.FirstOrDefault(x => x.Number == w.Number)
                : to.VariantCases.FirstOrDefault(x => x.Name == w.Name);
            string label = w.Name.Length == 0 ? $"{fromName} itself" : $"the derived type '{w.Name}'";
            if (r is null)
            {
                _notes.Add($"{toName}: {reader} does not know {label} of {writer}; receiving one is an error naming it");
                continue;
            }
            TypeSchema? written = w.Name.Length == 0 ? from : fromSchema.FindType(w.Type.Name!);
            TypeSchema? read = r.Name.Length == 0 ? to : toSchema.FindType(r.Type.Name!);
            if (written is null || read is null)
            {
                _breaking.Add($"{where}: the type {(written is null ? w.Type.Name : r.Type.Name)} is not described by {(written is null ? writer : reader)}");
                continue;
            }
            CompareFields($"{toName} ({label})", "member", written.Members, fromSchema, read.Members, toSchema, _layout.Members, parameters: false, writer, reader);
        }
    }

    private static string Kind(TypeSchema t) => t.Kind == TypeSchemaKind.Enum ? "enum" : "object";

    // The fields of one object written by one side and read by the other, matched as the format finds them.
    private void CompareFields(string owner, string noun, IReadOnlyList<WireField> written, ContractSchema writtenSchema,
        IReadOnlyList<WireField> read, ContractSchema readSchema, FieldKey key, bool parameters, string writer, string reader)
    {
        for (int i = 0; i < read.Count; i++)
        {
            WireField r = read[i];
            int j = Find(written, r, i, key);
            if (j < 0)
            {
                WireField? moved = written.FirstOrDefault(w => w.Name == r.Name);
                if (moved is not null && key != FieldKey.Name)
                    Moved(owner, noun, r, i, moved, written, key, writer, reader);
                else if (!MayBeAbsent(r, parameters))
                    _breaking.Add($"{owner}: {reader} requires the {noun} '{r.Name}', which {writer} does not send");
                else
                    _notes.Add($"{owner}: {writer} does not send the {noun} '{r.Name}'; {reader} uses its default");
                continue;
            }
            WireField w = written[j];
            if (key != FieldKey.Name && w.Name != r.Name && written.FirstOrDefault(x => x.Name == r.Name) is { } elsewhere)
            {
                // Found by number or position, but that place holds another field for the writer: the fields moved.
                Moved(owner, noun, r, i, elsewhere, written, key, writer, reader);
                continue;
            }
            CompareFlow($"{owner}: the {noun} '{r.Name}'", w.Type, writtenSchema, r.Type, readSchema, writer, reader);
        }
        for (int j = 0; j < written.Count; j++)
        {
            WireField w = written[j];
            if (Find(read, w, j, key) >= 0 || (key != FieldKey.Name && read.Any(r => r.Name == w.Name))) continue;
            // A parameter the writer requires and the reader ignores: a request the server cannot honour.
            if (parameters && !MayBeAbsent(w, parameters))
                _breaking.Add($"{owner}: {writer} sends the required {noun} '{w.Name}', which {reader} does not know");
            else
                _notes.Add($"{owner}: {reader} ignores the {noun} '{w.Name}' that {writer} sends");
        }
    }

    private void Moved(string owner, string noun, WireField r, int i, WireField w, IReadOnlyList<WireField> written, FieldKey key, string writer, string reader)
        => _breaking.Add($"{owner}: the {noun} '{r.Name}' is {Where(key, r, i)} for {reader} but {Where(key, w, IndexOf(written, w))} for {writer}" +
            (key == FieldKey.Number ? "; keep its number (pin it with [SidecarField])" : "; add parameters at the end"));

    private static int Find(IReadOnlyList<WireField> fields, WireField field, int position, FieldKey key)
    {
        switch (key)
        {
            case FieldKey.Position:
                return position < fields.Count ? position : -1;
            case FieldKey.Number:
                for (int i = 0; i < fields.Count; i++)
                    if (fields[i].Number == field.Number) return i;
                return -1;
            default:
                for (int i = 0; i < fields.Count; i++)
                    if (fields[i].Name == field.Name) return i;
                return -1;
        }
    }

    private static int IndexOf(IReadOnlyList<WireField> fields, WireField field)
    {
        for (int i = 0; i < fields.Count; i++)
            if (ReferenceEquals(fields[i], field)) return i;
        return -1;
    }

    private static string Where(FieldKey key, WireField f, int index)
        => key == FieldKey.Number ? $"field {f.Number}" : $"at position {index + 1}";

    // A parameter may be left out when it has a default or may be null; a member when the reader does not require it.
    private static bool MayBeAbsent(WireField f, bool parameters) => f.IsOptional || (parameters && f.Type.IsNullable);

    // Integers of one signedness widen on every format (JSON numbers, MessagePack's smallest encoding, protobuf varints).
    private static bool Widens(WireScalar from, WireScalar to)
    {
        int Rank(WireScalar s) => s switch
        {
            WireScalar.Int8 or WireScalar.UInt8 => 1,
            WireScalar.Int16 or WireScalar.UInt16 => 2,
            WireScalar.Int32 or WireScalar.UInt32 => 3,
            WireScalar.Int64 or WireScalar.UInt64 => 4,
            _ => 0,
        };
        bool Signed(WireScalar s) => s is WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32 or WireScalar.Int64;
        return Rank(from) > 0 && Rank(to) > Rank(from) && Signed(from) == Signed(to);
    }
}
