using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using SidecarKit.Generator.Model;

namespace SidecarKit.Generator.Parsing;

/// <summary>
/// Turns type symbols into <see cref="TypeRef"/>s and collects the codecs they need. One instance per contract.
/// Unsupported types are reported at the member that uses them.
/// </summary>
internal sealed class TypeResolver
{
    private static readonly SymbolDisplayFormat s_fullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private const string Codecs = "global::SidecarKit.Wire.WireCodecs.";

    private readonly Dictionary<string, CodecModel> _codecs = new();
    private readonly Dictionary<string, string> _classNames = new();   // value type text -> class name (also while in progress)
    private readonly HashSet<string> _usedClassNames = new();
    private readonly SortedDictionary<string, string> _typeDescriptions = new(System.StringComparer.Ordinal);
    private readonly SortedDictionary<string, NamedTypeModel> _namedTypes = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, string> _wireTypeNames = new(); // value type text -> description name
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly SortedSet<string> _openTypes = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, EquatableArray<string>> _declared = new();   // polymorphic base -> its declared derived types
    private readonly HashSet<string> _variantCases = new();                          // types that are a case of a polymorphic base

    public TypeResolver(List<DiagnosticInfo> diagnostics) => _diagnostics = diagnostics;

    public IEnumerable<CodecModel> CodecModels => _codecs.Values.OrderBy(c => c.ClassName, System.StringComparer.Ordinal)
        .Select(c => _variantCases.Contains(c.ValueType) ? c with { IsVariantCase = true } : c);

    /// <summary>Descriptions of the named types (DTOs and enums), by description name, as JSON values.</summary>
    public IReadOnlyDictionary<string, string> TypeDescriptions => _typeDescriptions;

    /// <summary>The named types (DTOs and enums) for the schema, in the description's order.</summary>
    public IEnumerable<NamedTypeModel> NamedTypes => _namedTypes.Values;

    /// <summary>The classes on the wire that are not sealed (SK0020, or polymorphic bases), as <see cref="Display"/> writes them.</summary>
    public IEnumerable<string> OpenTypes => _openTypes;

    /// <summary>The classes on the wire that are not sealed, with the derived types each declares, for SK0021 across the compilation.</summary>
    public EquatableArray<OpenWireType> OpenWireTypes(string contract)
        => _openTypes.Select(t => new OpenWireType(t, contract, _declared.TryGetValue(t, out EquatableArray<string> d) ? d : default)).ToEquatableArray();

    public static string Display(ITypeSymbol type) => type.ToDisplayString(s_fullyQualified);

    public TypeRef? Resolve(ITypeSymbol type, string usedBy, Location? location)
    {
        bool isReference = type.IsReferenceType;
        bool allowsNull = isReference && type.NullableAnnotation != NullableAnnotation.NotAnnotated;
        ITypeSymbol valueType = isReference ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;
        string? reason = null;
        (string codec, WireShape wire)? resolved = Classify(valueType, usedBy, location, ref reason);
        if (resolved is null)
        {
            if (reason is not null)
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, location, usedBy, type.ToDisplayString(), reason));
            return null;
        }
        return new TypeRef(Display(type), resolved.Value.codec, isReference, allowsNull,
            allowsNull ? WireShape.NullableOf(resolved.Value.wire) : resolved.Value.wire, Display(valueType));
    }

    // Returns null with reason set for an unsupported type, or null with reason null when a nested use already reported.
    private (string codec, WireShape wire)? Classify(ITypeSymbol type, string usedBy, Location? location, ref string? reason)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return (Codecs + "Boolean", WireShape.Scalar("Bool"));
            case SpecialType.System_Byte: return (Codecs + "Byte", WireShape.Scalar("UInt8"));
            case SpecialType.System_SByte: return (Codecs + "SByte", WireShape.Scalar("Int8"));
            case SpecialType.System_Int16: return (Codecs + "Int16", WireShape.Scalar("Int16"));
            case SpecialType.System_UInt16: return (Codecs + "UInt16", WireShape.Scalar("UInt16"));
            case SpecialType.System_Int32: return (Codecs + "Int32", WireShape.Scalar("Int32"));
            case SpecialType.System_UInt32: return (Codecs + "UInt32", WireShape.Scalar("UInt32"));
            case SpecialType.System_Int64: return (Codecs + "Int64", WireShape.Scalar("Int64"));
            case SpecialType.System_UInt64: return (Codecs + "UInt64", WireShape.Scalar("UInt64"));
            case SpecialType.System_Single: return (Codecs + "Single", WireShape.Scalar("Float32"));
            case SpecialType.System_Double: return (Codecs + "Double", WireShape.Scalar("Float64"));
            case SpecialType.System_Decimal: return (Codecs + "Decimal", WireShape.Scalar("Decimal"));
            case SpecialType.System_Char: return (Codecs + "Char", WireShape.Scalar("Char"));
            case SpecialType.System_String: return (Codecs + "String", WireShape.Scalar("String"));
            case SpecialType.System_IntPtr: return (Codecs + "IntPtr", WireShape.Scalar("Int64"));
            case SpecialType.System_UIntPtr: return (Codecs + "UIntPtr", WireShape.Scalar("UInt64"));
            case SpecialType.System_Object: reason = "'object' has no fixed wire shape; use a concrete type"; return null;
            case SpecialType.System_DateTime: return (Codecs + "DateTime", WireShape.Scalar("DateTime"));
        }

        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank != 1) { reason = "multi-dimensional arrays are not supported; use an array of arrays"; return null; }
            if (array.ElementType.SpecialType == SpecialType.System_Byte) return (Codecs + "ByteArray", WireShape.Scalar("Bytes"));
            return Collection(type, CodecKind.Array, array.ElementType, usedBy, location);
        }

        if (type.TypeKind == TypeKind.Dynamic) { reason = "'dynamic' has no fixed wire shape"; return null; }
        if (type.TypeKind == TypeKind.Pointer || type.TypeKind == TypeKind.FunctionPointer) { reason = "pointers cannot cross a process boundary"; return null; }
        if (type.TypeKind == TypeKind.TypeParameter) { reason = "open type parameters have no fixed wire shape"; return null; }
        if (type is not INamedTypeSymbol named) { reason = "this kind of type is not supported"; return null; }

        string metadataName = FullMetadataName(named.OriginalDefinition);
        switch (metadataName)
        {
            case "System.Guid": return (Codecs + "Guid", WireShape.Scalar("Guid"));
            case "System.DateTimeOffset": return (Codecs + "DateTimeOffset", WireShape.Scalar("DateTimeOffset"));
            case "System.TimeSpan": return (Codecs + "TimeSpan", WireShape.Scalar("TimeSpan"));
            case "System.DateOnly": return (Codecs + "DateOnly", WireShape.Scalar("Date"));
            case "System.TimeOnly": return (Codecs + "TimeOnly", WireShape.Scalar("Time"));
            case "System.Int128": return (Codecs + "Int128", WireShape.Scalar("Int128"));
            case "System.UInt128": return (Codecs + "UInt128", WireShape.Scalar("UInt128"));
            case "System.Half": return (Codecs + "Half", WireShape.Scalar("Float16"));
            case "System.Uri": return (Codecs + "Uri", WireShape.Scalar("String"));
            case "System.Version": return (Codecs + "Version", WireShape.Scalar("String"));
            case "System.ReadOnlyMemory`1":
            case "System.Memory`1":
                if (named.TypeArguments[0].SpecialType != SpecialType.System_Byte)
                {
                    reason = "only memory of bytes is supported; use an array or a list";
                    return null;
                }
                return (Codecs + (named.Name == "Memory" ? "ByteMemory" : "ReadOnlyByteMemory"), WireShape.Scalar("Bytes"));
            case "System.Collections.Generic.HashSet`1":
            case "System.Collections.Generic.ISet`1":
            case "System.Collections.Generic.IReadOnlySet`1":
                return Collection(type, CodecKind.Set, named.TypeArguments[0], usedBy, location);
            case "System.Collections.Immutable.ImmutableArray`1":
                return Collection(type, CodecKind.ImmutableArray, named.TypeArguments[0], usedBy, location);
            case "System.Collections.Immutable.ImmutableList`1":
                return Collection(type, CodecKind.ImmutableList, named.TypeArguments[0], usedBy, location);
            case "System.Nullable`1":
            {
                TypeRef? element = Resolve(named.TypeArguments[0], usedBy, location);
                if (element is null) return null;
                string cls = Register(type, CodecKind.Nullable, element);
                return (cls, WireShape.NullableOf(element.Shape));
            }
            case "System.Collections.Generic.List`1":
            case "System.Collections.Generic.IList`1":
            case "System.Collections.Generic.IReadOnlyList`1":
            case "System.Collections.Generic.ICollection`1":
            case "System.Collections.Generic.IReadOnlyCollection`1":
                return Collection(type, CodecKind.List, named.TypeArguments[0], usedBy, location);
            case "System.Collections.Generic.IEnumerable`1":
                return Collection(type, CodecKind.Enumerable, named.TypeArguments[0], usedBy, location);
            case "System.Collections.Generic.Dictionary`2":
            case "System.Collections.Generic.IDictionary`2":
            case "System.Collections.Generic.IReadOnlyDictionary`2":
            case "System.Collections.Immutable.ImmutableDictionary`2":
            {
                ITypeSymbol keyType = named.TypeArguments[0];
                TypeRef? key = null;
                if (keyType.SpecialType != SpecialType.System_String)
                {
                    bool integer = keyType.SpecialType is SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64
                        or SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64;
                    bool guid = keyType is INamedTypeSymbol { Name: "Guid", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
                    if (!integer && !guid && keyType.TypeKind != TypeKind.Enum)
                    {
                        reason = "dictionary keys must be 'string', an integer type, an enum or 'Guid'";
                        return null;
                    }
                    key = Resolve(keyType, usedBy, location);
                    if (key is null) return null;
                    if (keyType.TypeKind == TypeKind.Enum && _codecs.TryGetValue(Display(keyType), out CodecModel? enumCodec) && !enumCodec.EnumKeys)
                        _codecs[Display(keyType)] = enumCodec with { EnumKeys = true };
                }
                TypeRef? value = Resolve(named.TypeArguments[1], usedBy, location);
                if (value is null) return null;
                string cls = Register(type, named.Name == "ImmutableDictionary" ? CodecKind.ImmutableMap : CodecKind.Map, value, key);
                return (cls, WireShape.MapOf(key?.Shape, value.Shape));
            }
            case "System.Collections.Generic.IAsyncEnumerable`1":
                reason = "IAsyncEnumerable<T> is supported only as a method's return type or as one of its parameters";
                return null;
            case "System.Threading.Tasks.Task":
            case "System.Threading.Tasks.Task`1":
            case "System.Threading.Tasks.ValueTask":
            case "System.Threading.Tasks.ValueTask`1":
                reason = "tasks cannot be nested in a contract type";
                return null;
            case "System.Threading.CancellationToken":
                reason = "a CancellationToken is allowed only as a method's last parameter";
                return null;
        }

        if (named.IsTupleType) { reason = "tuples have no member names on the wire; use a record"; return null; }
        if (named.TypeKind == TypeKind.Enum) return Enum(named);
        if (named.TypeKind == TypeKind.Interface) { reason = "interfaces other than the supported collections have no fixed wire shape; use a concrete type"; return null; }
        if (named.TypeKind == TypeKind.Delegate) { reason = "delegates cannot cross a process boundary"; return null; }
        if (named.TypeKind is not (TypeKind.Class or TypeKind.Struct)) { reason = "this kind of type is not supported"; return null; }
        if (named.IsAbstract && !Polymorphism.Declares(named)) { reason = "abstract types cannot be constructed when read; use a concrete type, or declare its derived types with [SidecarDerivedType]"; return null; }
        if (named.IsStatic) { reason = "static classes have no instances"; return null; }
        if (named.IsGenericType && named.TypeArguments.Any(t => t.TypeKind == TypeKind.TypeParameter)) { reason = "open generic types are not supported"; return null; }
        string ns = named.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal))
        {
            reason = "this framework type has no defined wire shape; use a primitive, a supported collection, or your own record";
            return null;
        }
        return DataObject(named, location);
    }

    private (string, WireShape)? Collection(ITypeSymbol type, CodecKind kind, ITypeSymbol elementType, string usedBy, Location? location)
    {
        TypeRef? element = Resolve(elementType, usedBy, location);
        if (element is null) return null;
        string cls = Register(type, kind, element);
        return (cls, WireShape.ListOf(element.Shape));
    }

    private string ClassNameFor(ITypeSymbol type, string hint)
    {
        string key = Display(type);
        if (_classNames.TryGetValue(key, out string? existing)) return existing;
        string baseName = "__Codec_" + Naming.Identifier(hint);
        string name = baseName;
        for (int i = 2; !_usedClassNames.Add(name); i++) name = baseName + "_" + i.ToString(CultureInfo.InvariantCulture);
        _classNames[key] = name;
        return name;
    }

    private string Register(ITypeSymbol type, CodecKind kind, TypeRef element, TypeRef? key = null)
    {
        string display = Display(type);
        if (_codecs.TryGetValue(display, out CodecModel? existing)) return existing.ClassName;
        string name = ClassNameFor(type, kind switch
        {
            CodecKind.Nullable => "Nullable_" + ((INamedTypeSymbol)type).TypeArguments[0].ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
            CodecKind.Array => ((IArrayTypeSymbol)type).ElementType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "_Array",
            _ => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
        });
        _codecs[display] = new CodecModel(name, display, kind, element, type.ToDisplayString(), EquatableArray<MemberModel>.Empty,
            EquatableArray<EnumMemberModel>.Empty, null, 0, type.IsValueType, key);
        return name;
    }

    private string WireTypeName(INamedTypeSymbol type)
    {
        string key = Display(type);
        if (_wireTypeNames.TryGetValue(key, out string? name)) return name;
        name = type.Name;
        if (_wireTypeNames.ContainsValue(name)) name = type.ToDisplayString();
        _wireTypeNames[key] = name;
        return name;
    }

    private (string, WireShape)? Enum(INamedTypeSymbol type)
    {
        string key = Display(type);
        string wire = WireTypeName(type);
        if (_codecs.TryGetValue(key, out CodecModel? existing)) return (existing.ClassName, WireShape.Named(wire));
        var members = new List<EnumMemberModel>();
        foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>())
        {
            if (!field.HasConstantValue) continue;
            members.Add(new EnumMemberModel(field.Name, Naming.CamelCase(field.Name),
                System.Convert.ToString(field.ConstantValue, CultureInfo.InvariantCulture)!));
        }
        string underlying = type.EnumUnderlyingType!.ToDisplayString();
        string name = ClassNameFor(type, type.Name);
        _codecs[key] = new CodecModel(name, key, CodecKind.Enum, null, type.ToDisplayString(), EquatableArray<MemberModel>.Empty,
            members.ToEquatableArray(), underlying, 0, true);
        _typeDescriptions[wire] = "{\"kind\":\"enum\",\"values\":[" + string.Join(",", members.Select(m => Json.Quote(m.WireName))) + "]}";
        _namedTypes[wire] = new NamedTypeModel(wire, true, EquatableArray<FieldModel>.Empty, members.Select(m => m.WireName).ToEquatableArray(), EquatableArray<int>.Empty);
        return (name, WireShape.Named(wire));
    }

    private (string, WireShape)? DataObject(INamedTypeSymbol type, Location? location)
    {
        string key = Display(type);
        string wire = WireTypeName(type);
        if (_classNames.ContainsKey(key)) return (_classNames[key], WireShape.Named(wire)); // done, or in progress (recursive type)
        string className = ClassNameFor(type, type.Name);
        string display = type.ToDisplayString();

        // Properties, base types first, each name once (the most derived declaration wins).
        var chain = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); t = t.BaseType)
            chain.Add(t);
        chain.Reverse();
        var properties = new List<IPropertySymbol>();
        var seen = new HashSet<string>();
        foreach (INamedTypeSymbol t in Enumerable.Reverse(chain))
        {
            foreach (IPropertySymbol p in t.GetMembers().OfType<IPropertySymbol>())
            {
                if (p.IsStatic || p.IsIndexer || p.DeclaredAccessibility != Accessibility.Public) continue;
                if (p.GetMethod is null || p.GetMethod.DeclaredAccessibility != Accessibility.Public) continue;
                if (seen.Add(p.Name)) properties.Add(p);
            }
        }
        // Put them back in base-first, declaration order.
        properties = properties.OrderBy(p => chain.IndexOf(p.ContainingType)).ThenBy(p => p.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0).ToList();

        // A polymorphic base ([SidecarDerivedType]): its declared cases travel with a discriminator. An abstract one has no
        // instance, constructor or members of its own on the wire.
        int diagnosticsAtStart = _diagnostics.Count;
        bool declarationsFailed = false;
        List<Polymorphism.Declaration>? declared = null;
        if (type.TypeKind == TypeKind.Class)
            declared = Polymorphism.Read(type, display, type.Locations.FirstOrDefault(l => l.IsInSource) ?? location, _diagnostics, out declarationsFailed);
        bool polymorphic = declared is not null;
        bool abstractBase = polymorphic && type.IsAbstract;
        if (abstractBase) properties.Clear();

        IMethodSymbol? ctor = abstractBase ? null : ChooseConstructor(type, properties);
        if (ctor is null && !abstractBase)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoConstructor, type.Locations.FirstOrDefault() ?? location, display));
            return null;
        }

        // A derived type sent as this one would lose its own members: ask for 'sealed', or for declarations. A base that
        // declares its derived types is open on purpose (no SK0020), and SK0021 still catches the ones it does not declare.
        if (type.TypeKind == TypeKind.Class && !type.IsSealed && _openTypes.Add(key))
        {
            if (polymorphic)
                _declared[key] = Polymorphism.Named(type).Select(Display).Distinct().ToEquatableArray();
            else
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsealedType, type.Locations.FirstOrDefault(l => l.IsInSource) ?? location, display));
        }

        var members = new List<MemberModel>();
        var wireNames = new Dictionary<string, string>();
        int diagnosticsBefore = _diagnostics.Count;
        EquatableArray<int> reserved = FieldNumbers.Reserved(type, display, type.Locations.FirstOrDefault() ?? location, _diagnostics);
        bool failed = _diagnostics.Count > diagnosticsBefore;
        foreach (IPropertySymbol p in properties)
        {
            IParameterSymbol? param = ctor!.Parameters.FirstOrDefault(x => string.Equals(x.Name, p.Name, System.StringComparison.OrdinalIgnoreCase));
            MemberSetter setter;
            if (param is not null) setter = MemberSetter.Constructor;
            else if (p.SetMethod is { DeclaredAccessibility: Accessibility.Public } set) setter = set.IsInitOnly || p.IsRequired ? MemberSetter.Initializer : MemberSetter.Assignment;
            else continue; // computed, read-only: not part of the wire shape

            TypeRef? memberType = Resolve(p.Type, display + "." + p.Name, p.Locations.FirstOrDefault() ?? location);
            if (memberType is null) { failed = true; continue; }
            string wireName = JsonPropertyName(p) ?? Naming.CamelCase(p.Name);
            if (wireNames.TryGetValue(wireName, out string? other))
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMemberName, p.Locations.FirstOrDefault() ?? location, display, wireName, other, p.Name));
                failed = true;
                continue;
            }
            wireNames[wireName] = p.Name;
            bool nullable = memberType.AllowsNull || memberType.CodecValueType.EndsWith("?", System.StringComparison.Ordinal) && !memberType.IsReferenceType;
            bool hasDefault = param is { HasExplicitDefaultValue: true };
            bool required = setter switch
            {
                MemberSetter.Constructor => !hasDefault && !nullable,
                // An init-only member absent on the wire cannot keep its initializer (object initializers are not
                // conditional), so a non-nullable reference must be sent rather than silently become null.
                MemberSetter.Initializer => p.IsRequired || (memberType.IsReferenceType && !memberType.AllowsNull),
                _ => false,
            };
            members.Add(new MemberModel(p.Name, wireName, memberType, setter, param?.Ordinal ?? -1, required,
                hasDefault ? DefaultValue(param!) : null, FieldNumbers.Of(p)));
            if (FieldNumbers.Check(members, x => x.Field) is { } problem)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidFieldNumber, p.Locations.FirstOrDefault() ?? location, p.Name, display, problem));
                failed = true;
            }
            else if (FieldNumbers.Effective(members[members.Count - 1].Field, members.Count - 1) is int number && reserved.Contains(number))
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedFieldNumber, p.Locations.FirstOrDefault() ?? location,
                    number.ToString(CultureInfo.InvariantCulture), display + "." + p.Name, FieldNumbers.ReusedProblem));
                failed = true;
            }
        }
        if (failed || (polymorphic && declarationsFailed)) return null;

        // The cases: the base itself first (when it is not abstract), then the declared types, each with its own codec.
        var variants = new List<VariantModel>();
        if (polymorphic)
        {
            if (!type.IsAbstract) variants.Add(new VariantModel("", Polymorphism.FirstTag, key, className, wire));
            foreach (Polymorphism.Declaration d in declared!)
            {
                TypeRef? derived = Resolve(d.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), display + " (derived type " + d.Discriminator + ")", d.Location ?? location);
                if (derived is null) { failed = true; continue; }
                _variantCases.Add(derived.CodecValueType);
                variants.Add(new VariantModel(d.Discriminator, d.Tag, derived.CodecValueType, derived.CodecType, derived.Shape.Name));
            }
            if (failed || _diagnostics.Skip(diagnosticsAtStart).Any(x => DiagnosticDescriptors.IsError(x.Id))) return null;
        }

        _codecs[key] = new CodecModel(className, key, CodecKind.Object, null, display, members.ToEquatableArray(),
            EquatableArray<EnumMemberModel>.Empty, null, ctor?.Parameters.Length ?? 0, type.IsValueType, IsOpen: !type.IsValueType && !type.IsSealed,
            Variants: variants.ToEquatableArray(), IsAbstract: abstractBase);
        _typeDescriptions[wire] = "{\"kind\":\"object\",\"members\":[" + string.Join(",", members.Select(m =>
            "{\"name\":" + Json.Quote(m.WireName) + ",\"type\":" + Json.Quote(m.Type.WireType) + (m.IsRequired ? ",\"required\":true" : "")
            + (m.Field != 0 ? ",\"field\":" + m.Field.ToString(CultureInfo.InvariantCulture) : "") + "}")) + "]"
            + (polymorphic ? ",\"variants\":[" + string.Join(",", variants.Select(v =>
                "{\"name\":" + Json.Quote(v.Discriminator) + ",\"type\":" + Json.Quote(v.WireType) + ",\"tag\":" + v.Tag.ToString(CultureInfo.InvariantCulture) + "}")) + "]" : "")
            + "}";
        _namedTypes[wire] = new NamedTypeModel(wire, false, members.Select((m, i) =>
            new FieldModel(m.WireName, m.Type.Shape, FieldNumbers.Effective(m.Field, i), !m.IsRequired)).ToEquatableArray(), EquatableArray<string>.Empty, reserved,
            variants.Select(v => new FieldModel(v.Discriminator, WireShape.Named(v.WireType), v.Tag, false)).ToEquatableArray());
        return (className, WireShape.Named(wire));
    }

    private static string? JsonPropertyName(IPropertySymbol p)
    {
        foreach (AttributeData a in p.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonPropertyNameAttribute"
                && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string s && s.Length > 0)
                return s;
        }
        return null;
    }

    private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type, List<IPropertySymbol> properties)
    {
        IMethodSymbol? best = null;
        IMethodSymbol? parameterless = null;
        foreach (IMethodSymbol ctor in type.InstanceConstructors)
        {
            if (ctor.DeclaredAccessibility != Accessibility.Public) continue;
            if (ctor.Parameters.Length == 0) { parameterless = ctor; continue; }
            if (ctor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(ctor.Parameters[0].Type, type)) continue; // copy constructor
            bool allMatch = ctor.Parameters.All(param => param.RefKind == RefKind.None && properties.Any(p =>
                string.Equals(p.Name, param.Name, System.StringComparison.OrdinalIgnoreCase)
                && SymbolEqualityComparer.Default.Equals(p.Type.WithNullableAnnotation(NullableAnnotation.None), param.Type.WithNullableAnnotation(NullableAnnotation.None))));
            if (allMatch && (best is null || ctor.Parameters.Length > best.Parameters.Length)) best = ctor;
        }
        return best ?? parameterless ?? (type.IsValueType ? type.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 0) : null);
    }

    public static string DefaultValue(IParameterSymbol parameter)
    {
        object? value = parameter.ExplicitDefaultValue;
        if (value is null) return "default!";
        string literal = value switch
        {
            string s => Naming.Literal(s),
            bool b => b ? "true" : "false",
            char c => "'" + (c == '\'' || c == '\\' ? "\\" + c : c.ToString()) + "'",
            float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
            double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
            _ => System.Convert.ToString(value, CultureInfo.InvariantCulture)!,
        };
        return "(" + Display(parameter.Type) + ")(" + literal + ")";
    }

    private static string FullMetadataName(INamedTypeSymbol type)
    {
        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : "";
        return ns + type.MetadataName;
    }
}

internal static class Json
{
    public static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
