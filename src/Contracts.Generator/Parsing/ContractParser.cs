using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SidecarKit.Generator.Model;

namespace SidecarKit.Generator.Parsing;

/// <summary>Symbols → model: reads one <c>[SidecarContract]</c> interface into a <see cref="ContractModel"/>, or diagnostics.</summary>
internal static class ContractParser
{
    public const string ContractAttribute = "SidecarKit.SidecarContractAttribute";
    private const string MethodAttribute = "SidecarKit.SidecarMethodAttribute";
    private const string ErrorAttribute = "SidecarKit.SidecarErrorAttribute";

    // The protocol's own codes (docs/protocol.md, section 8): every method may answer them; none is declared.
    private static readonly int[] s_protocolCodes = [-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32800];
    private const string SidecarContractInterface = "SidecarKit.ISidecarContract<TSelf>";
    private static readonly Regex s_contractName = new("^[A-Za-z][A-Za-z0-9_-]*$");
    private static readonly string[] s_reservedPrefixes = { "rpc.", "$/", "system.", "lifecycle." };

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (InterfaceDeclarationSyntax)context.TargetNode;
        Location location = syntax.Identifier.GetLocation();
        string name = type.Name;

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContractNotPartial, location, name));
        if (type.TypeParameters.Length > 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContractGeneric, location, name));
        if (type.ContainingType is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContractNested, location, name, type.ContainingType.ToDisplayString()));

        AttributeData attribute = context.Attributes[0];
        string contractName = ContractNameOf(attribute);
        // The runtime declares the built-in system.* and lifecycle.* messages as contracts; nobody else may.
        bool builtIn = context.SemanticModel.Compilation.AssemblyName == "SidecarKit.Runtime";
        if (!IsValidContractName(contractName, builtIn))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidContractName,
                attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location, contractName));

        // Base interfaces: IDisposable and IAsyncDisposable are the proxy's own disposal, never a remote call; every other
        // base's methods join this contract under its name (inherited methods first, the most basic interface first).
        bool disposable = false, asyncDisposable = false;
        var bases = new List<INamedTypeSymbol>();
        foreach (INamedTypeSymbol baseInterface in BasesFirst(type))
        {
            string definition = baseInterface.OriginalDefinition.ToDisplayString();
            if (definition == "System.IDisposable") disposable = true;
            else if (definition == "System.IAsyncDisposable") asyncDisposable = true;
            else if (definition == SidecarContractInterface) { } // a base contract from another assembly, generated there
            else if (baseInterface.IsGenericType)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BaseInterface,
                    InheritedLocation(type, baseInterface, context.SemanticModel, cancellationToken) ?? location,
                    type.ToDisplayString(), baseInterface.ToDisplayString()));
            else bases.Add(baseInterface);
        }

        var types = new TypeResolver(diagnostics);
        var methods = new List<MethodModel>();
        var wireNames = new Dictionary<string, (string Name, INamedTypeSymbol Declaring)>();
        // A base that is a contract itself reports the problems of its own methods (once, at them); here they only
        // keep this contract from being generated.
        var reportedByBase = new List<DiagnosticInfo>();
        foreach (INamedTypeSymbol baseInterface in bases)
        {
            bool baseIsContract = baseInterface.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ContractAttribute);
            Location fallback = InheritedLocation(type, baseInterface, context.SemanticModel, cancellationToken) ?? location;
            ParseMembers(baseInterface, TypeResolver.Display(baseInterface), baseInterface.Name + ".", fallback, baseIsContract ? reportedByBase : diagnostics);
        }
        ParseMembers(type, null, "", location, diagnostics);

        void ParseMembers(INamedTypeSymbol declaring, string? declaringName, string prefix, Location fallback, List<DiagnosticInfo> sink)
        {
            foreach (ISymbol member in declaring.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member.IsImplicitlyDeclared) continue;
                Location memberLocation = member.Locations.FirstOrDefault(l => l.IsInSource) ?? fallback;
                if (member is not IMethodSymbol method || method.MethodKind != MethodKind.Ordinary || member.IsStatic || !method.IsAbstract)
                {
                    if (member is IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet or MethodKind.EventAdd or MethodKind.EventRemove })
                        continue; // reported with their property or event
                    // A base contract's own generated members (ISidecarContract's, in another assembly) are not methods of it.
                    if (declaringName is not null && member.DeclaredAccessibility == Accessibility.Private) continue;
                    string what = member switch
                    {
                        IPropertySymbol => "a property",
                        IEventSymbol => "an event",
                        INamedTypeSymbol => "a nested type",
                        IMethodSymbol m when m.IsStatic => "a static method",
                        IMethodSymbol => "a method with a default implementation",
                        _ => "a member",
                    };
                    sink.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedMember, memberLocation, prefix + member.Name, what));
                    continue;
                }

                MethodModel? model = ParseMethod(method, contractName, types, sink, memberLocation, builtIn);
                if (model is null) continue;
                model = model with { DeclaringInterface = declaringName };
                if (wireNames.TryGetValue(model.WireName, out var other))
                {
                    // Across the hierarchy too: reported at the later method (this contract's own, when one of the two is);
                    // two methods of one base contract are that contract's own SK0009.
                    (SymbolEqualityComparer.Default.Equals(other.Declaring, declaring) ? sink : diagnostics).Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.DuplicateWireName, memberLocation, other.Name, prefix + method.Name, model.WireName));
                    continue;
                }
                wireNames[model.WireName] = (prefix + method.Name, declaring);
                methods.Add(model);
            }
        }
        if (reportedByBase.Any(d => DiagnosticDescriptors.IsError(d.Id)))
            return new ParseResult(null, diagnostics.ToEquatableArray(), types.OpenWireTypes(type.ToDisplayString()));

        EquatableArray<OpenWireType> openTypes = types.OpenWireTypes(type.ToDisplayString());
        if (diagnostics.Any(d => DiagnosticDescriptors.IsError(d.Id)))
            return new ParseResult(null, diagnostics.ToEquatableArray(), openTypes);

        string description = Describe(contractName, methods, types, out string fingerprint);
        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        var contract = new ContractModel(ns, name, TypeResolver.Display(type), contractName, methods.ToEquatableArray(),
            types.CodecModels.ToEquatableArray(), types.NamedTypes.ToEquatableArray(), description, fingerprint, disposable, asyncDisposable);
        return new ParseResult(contract, diagnostics.ToEquatableArray(), openTypes);
    }

    /// <summary>
    /// The contract's name and where it is declared, for the check across contracts (SK0017); null when the name is
    /// already invalid (SK0004). Kept apart from <see cref="Parse"/> so the parse result holds no position.
    /// </summary>
    public static ContractIdentity? ParseIdentity(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        AttributeData attribute = context.Attributes[0];
        string contractName = ContractNameOf(attribute);
        bool builtIn = context.SemanticModel.Compilation.AssemblyName == "SidecarKit.Runtime";
        if (!IsValidContractName(contractName, builtIn)) return null;
        Location location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
            ?? ((InterfaceDeclarationSyntax)context.TargetNode).Identifier.GetLocation();
        return new ContractIdentity(contractName, TypeResolver.Display(type), type.ToDisplayString(),
            location.SourceTree?.FilePath ?? "", location.SourceSpan, location.GetLineSpan().Span);
    }

    private static string ContractNameOf(AttributeData attribute)
        => attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string s ? s : "";

    private static bool IsValidContractName(string contractName, bool builtIn)
        => s_contractName.IsMatch(contractName) && (builtIn || !Naming.IsReservedContractName(contractName));

    /// <summary>The entry of the interface's base list (in any of its partial declarations) that names <paramref name="baseInterface"/>.</summary>
    private static Location? BaseListEntry(INamedTypeSymbol type, INamedTypeSymbol baseInterface, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not InterfaceDeclarationSyntax { BaseList: { } baseList }) continue;
            SemanticModel treeModel = baseList.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(baseList.SyntaxTree);
            foreach (BaseTypeSyntax entry in baseList.Types)
                if (SymbolEqualityComparer.Default.Equals(treeModel.GetTypeInfo(entry.Type, cancellationToken).Type, baseInterface))
                    return entry.GetLocation();
        }
        return null;
    }

    /// <summary>Every base interface of <paramref name="type"/> once, each after its own bases, in the order the base lists name them.</summary>
    private static List<INamedTypeSymbol> BasesFirst(INamedTypeSymbol type)
    {
        var order = new List<INamedTypeSymbol>();
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        void Visit(INamedTypeSymbol i)
        {
            if (!seen.Add(i)) return;
            foreach (INamedTypeSymbol b in i.Interfaces) Visit(b);
            order.Add(i);
        }
        foreach (INamedTypeSymbol i in type.Interfaces) Visit(i);
        return order;
    }

    /// <summary>
    /// Where to report a problem of a base interface, or of an inherited member that is not in source: the base list
    /// entry that names it, or, for a base of a base, the entry of the direct base it comes through.
    /// </summary>
    private static Location? InheritedLocation(INamedTypeSymbol type, INamedTypeSymbol baseInterface, SemanticModel model, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? direct = type.Interfaces.FirstOrDefault(i => SymbolEqualityComparer.Default.Equals(i, baseInterface))
            ?? type.Interfaces.FirstOrDefault(i => i.AllInterfaces.Contains(baseInterface, SymbolEqualityComparer.Default));
        return direct is null ? null : BaseListEntry(type, direct, model, cancellationToken);
    }

    /// <summary>Whether <paramref name="type"/> mentions a type parameter of <paramref name="method"/>.</summary>
    private static bool MentionsMethodTypeParameter(ITypeSymbol type, IMethodSymbol method) => type switch
    {
        ITypeParameterSymbol tp => SymbolEqualityComparer.Default.Equals(tp.DeclaringMethod, method),
        IArrayTypeSymbol array => MentionsMethodTypeParameter(array.ElementType, method),
        INamedTypeSymbol named => named.TypeArguments.Any(t => MentionsMethodTypeParameter(t, method)),
        _ => false,
    };

    // A Stream parameter or result travels as a stream of byte chunks (byte[]).
    private static readonly TypeRef s_chunk = new("byte[]", "global::SidecarKit.Wire.WireCodecs.ByteArray", IsReferenceType: true, AllowsNull: false,
        WireShape.Scalar("Bytes"), "byte[]");

    private static bool IsStream(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString() == "System.IO.Stream";

    private static MethodModel? ParseMethod(IMethodSymbol method, string contractName, TypeResolver types, List<DiagnosticInfo> diagnostics, Location location, bool builtIn)
    {
        // Every problem of the method is reported at once: a bad return type or type parameters do not stop the
        // parameters from being checked. Only what follows from an earlier error is left out (the uses of the method's
        // own type parameters, which SK0010 already covers).
        int before = diagnostics.Count;
        bool generic = method.TypeParameters.Length > 0;
        if (generic)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericMethod, location, method.Name));

        // Return shape (null: unsupported, reported).
        ReturnShape? shape;
        ITypeSymbol? resultType = null;
        ITypeSymbol returnType = method.ReturnType;
        string returnName = returnType is INamedTypeSymbol nt ? nt.OriginalDefinition.ToDisplayString() : returnType.ToDisplayString();
        if (method.ReturnsVoid) shape = ReturnShape.Void;
        else if (returnName == "System.Threading.Tasks.Task") shape = ReturnShape.Task;
        else if (returnName == "System.Threading.Tasks.ValueTask") shape = ReturnShape.ValueTask;
        else if (returnName == "System.Threading.Tasks.Task<TResult>") { shape = ReturnShape.TaskOfT; resultType = ((INamedTypeSymbol)returnType).TypeArguments[0]; }
        else if (returnName == "System.Threading.Tasks.ValueTask<TResult>") { shape = ReturnShape.ValueTaskOfT; resultType = ((INamedTypeSymbol)returnType).TypeArguments[0]; }
        else if (returnName == "System.Collections.Generic.IAsyncEnumerable<T>") { shape = ReturnShape.AsyncEnumerable; resultType = ((INamedTypeSymbol)returnType).TypeArguments[0]; }
        else
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnType, location, method.Name, returnType.ToDisplayString()));
            shape = null;
        }
        if (resultType is not null && generic && MentionsMethodTypeParameter(resultType, method))
            resultType = null; // SK0010 already
        // A Stream result crosses as a streamed result of byte chunks (ByteStreams).
        bool resultIsStream = resultType is not null && shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT && IsStream(resultType);
        TypeRef? result = resultType is null ? null
            : resultIsStream ? s_chunk
            : types.Resolve(resultType, method.Name + " (result)", location);

        // Parameters, and the numbers of removed ones that must not be reused ([SidecarReserved]).
        EquatableArray<int> reserved = FieldNumbers.Reserved(method, method.Name, location, diagnostics);
        var parameters = new List<ParameterModel>();
        string? ctName = null;
        int inputIndex = -1;    // the streamed parameter's index in parameters
        int inputPosition = -1; // and in the C# signature
        string? inputTypeText = null;
        bool inputIsStream = false;
        TypeRef? progress = null;      // the IProgress<T> parameter's T
        string? progressName = null;
        int progressPosition = -1;     // its index in the C# signature
        string? progressTypeText = null;
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            IParameterSymbol p = method.Parameters[i];
            Location pLocation = p.Locations.FirstOrDefault(l => l.IsInSource) ?? location;
            if (p.RefKind != RefKind.None)
            {
                string modifier = p.RefKind switch { RefKind.Out => "out", RefKind.In => "in", _ => "ref" };
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterModifier, pLocation, p.Name, method.Name, modifier));
                continue;
            }
            if (p.Type.ToDisplayString() == "System.Threading.CancellationToken")
            {
                if (shape == ReturnShape.Void)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedCancellationToken, pLocation, method.Name,
                        "a one-way notification (void) cannot be cancelled; remove the CancellationToken"));
                else if (i != method.Parameters.Length - 1)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedCancellationToken, pLocation, method.Name,
                        "a CancellationToken must be the last parameter"));
                else
                    ctName = p.Name;
                continue;
            }
            if (p.Type is INamedTypeSymbol { IsGenericType: true } progressType && progressType.OriginalDefinition.ToDisplayString() == "System.IProgress<T>")
            {
                // Reports travel as $/progress notifications tied to the request: a request with one result, no stream.
                string? progressProblem = shape == ReturnShape.Void ? "a one-way notification (void) has no call for the reports to belong to; return a Task"
                    : shape == ReturnShape.AsyncEnumerable || resultIsStream ? "a method that streams its result reports through its items; drop the IProgress<T>"
                    : progressPosition >= 0 ? "a method can take one IProgress<T> parameter"
                    : null;
                if (progressProblem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProgressParameter, pLocation, p.Name, method.Name, progressProblem));
                    continue;
                }
                if (generic && MentionsMethodTypeParameter(progressType.TypeArguments[0], method)) continue; // SK0010 already
                progress = types.Resolve(progressType.TypeArguments[0], method.Name + "(" + p.Name + ")", pLocation);
                if (progress is null) continue;
                progressName = p.Name;
                progressPosition = i;
                progressTypeText = TypeResolver.Display(p.Type);
                continue;
            }
            ITypeSymbol wireType = p.Type;
            bool streamed = false;
            bool byteStream = IsStream(p.Type);
            if (byteStream || p.Type is INamedTypeSymbol pt && pt.OriginalDefinition.ToDisplayString() == "System.Collections.Generic.IAsyncEnumerable<T>")
            {
                // Client streaming (a result) or bidirectional streaming (a streamed result): one such parameter, whose
                // items the caller sends while the call runs; a notification has no call to stream into.
                string? streamProblem = shape == ReturnShape.Void ? "a one-way notification (void) has no call for the items to stream into; return a Task"
                    : inputIndex >= 0 ? "a method can take one streamed parameter (an IAsyncEnumerable<T> or a Stream)"
                    : null;
                if (streamProblem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StreamParameter, pLocation, p.Name, method.Name, streamProblem));
                    continue;
                }
                if (!byteStream) wireType = ((INamedTypeSymbol)p.Type).TypeArguments[0];
                streamed = true;
                inputIsStream = byteStream;
            }
            if (generic && MentionsMethodTypeParameter(wireType, method)) continue; // SK0010 already
            TypeRef? type = streamed && inputIsStream ? s_chunk : types.Resolve(wireType, method.Name + "(" + p.Name + ")", pLocation);
            if (type is null) continue;
            if (streamed)
            {
                inputIndex = parameters.Count;
                inputPosition = i;
                inputTypeText = TypeResolver.Display(p.Type);
            }
            parameters.Add(new ParameterModel(p.Name, Naming.CamelCase(p.Name), type, p.HasExplicitDefaultValue,
                p.HasExplicitDefaultValue ? TypeResolver.DefaultValue(p) : null, FieldNumbers.Of(p)));
            if (FieldNumbers.Check(parameters, x => x.Field) is { } problem)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidFieldNumber, pLocation, p.Name, method.Name, problem));
            else if (FieldNumbers.Effective(parameters[parameters.Count - 1].Field, parameters.Count - 1) is int number && reserved.Contains(number))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedFieldNumber, pLocation,
                    number.ToString(System.Globalization.CultureInfo.InvariantCulture), method.Name + "(" + p.Name + ")", FieldNumbers.ReusedProblem));
        }

        // [SidecarMethod]
        string wireName = contractName + "." + Naming.MethodWireName(method.Name);
        int timeout = 0;
        bool idempotent = false;
        foreach (AttributeData a in method.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() != MethodAttribute) continue;
            if (a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string custom)
                wireName = custom.Contains(".") || custom.StartsWith("$/", System.StringComparison.Ordinal) ? custom : contractName + "." + custom;
            foreach (KeyValuePair<string, TypedConstant> named in a.NamedArguments)
            {
                if (named.Key == "TimeoutMilliseconds" && named.Value.Value is int t) timeout = t;
                else if (named.Key == "Idempotent" && named.Value.Value is bool b) idempotent = b;
            }
        }
        if (wireName.Length == 0 || wireName.EndsWith(".", System.StringComparison.Ordinal) || wireName.Any(char.IsWhiteSpace)
            || (!builtIn && s_reservedPrefixes.Any(prefix => wireName.StartsWith(prefix, System.StringComparison.Ordinal))))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMethodName, location, wireName, method.Name));

        if (progress is not null && inputIndex >= 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProgressParameter, location, progressName!, method.Name,
                "a method that takes a stream cannot report progress too; report it through a streamed result instead"));

        if (shape is null || diagnostics.Skip(before).Any(d => DiagnosticDescriptors.IsError(d.Id)) || (resultType is not null && result is null))
            return null;

        // A request without a token cannot be cancelled by its caller (info; the runtime's built-in messages are exempt).
        bool hasToken = method.Parameters.Any(p => p.Type.ToDisplayString() == "System.Threading.CancellationToken");
        if (shape != ReturnShape.Void && !hasToken && !builtIn)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingCancellationToken, location, method.Name));

        // The streamed parameter leaves the params (its items travel on their own) but keeps its field number, and the
        // parameters after it keep theirs: numbers are positions in the whole signature unless pinned.
        ParameterModel? input = null;
        if (inputIndex >= 0)
        {
            input = parameters[inputIndex] with { Field = FieldNumbers.Effective(parameters[inputIndex].Field, inputIndex) };
            for (int j = inputIndex + 1; j < parameters.Count; j++)
                parameters[j] = parameters[j] with { Field = FieldNumbers.Effective(parameters[j].Field, j) };
            parameters.RemoveAt(inputIndex);
        }

        // [SidecarError]: the contract's (its declaring interface's) first, then the method's own.
        var errors = new List<ErrorModel>();
        foreach (AttributeData a in method.ContainingType.GetAttributes().Concat(method.GetAttributes()))
        {
            if (a.AttributeClass?.ToDisplayString() != ErrorAttribute || a.ConstructorArguments.Length != 2
                || a.ConstructorArguments[0].Value is not int code || a.ConstructorArguments[1].Value is not string text) continue;
            string? problem = s_protocolCodes.Contains(code) ? "it is one of the protocol's own codes, which every method may answer (docs/protocol.md, section 8)"
                : errors.Any(e => e.Code == code) ? "it is declared twice (on the method, or on the method and its contract)"
                : null;
            if (problem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaredError,
                    a.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? location, code.ToString(System.Globalization.CultureInfo.InvariantCulture), method.Name, problem));
            else errors.Add(new ErrorModel(code, text));
        }
        if (diagnostics.Skip(before).Any(d => d.Id == DiagnosticDescriptors.InvalidDeclaredError.Id)) return null;

        string returnText = TypeResolver.Display(method.ReturnType);
        return new MethodModel(method.Name, wireName, shape.Value, result, returnText, parameters.ToEquatableArray(), ctName, timeout, idempotent, reserved)
        {
            Errors = errors.ToEquatableArray(),
            Input = input,
            InputPosition = inputPosition,
            InputTypeText = inputTypeText,
            InputIsStream = inputIsStream,
            ResultIsStream = resultIsStream,
            Progress = progress,
            ProgressName = progressName,
            ProgressPosition = progressPosition,
            ProgressTypeText = progressTypeText,
        };
    }

    /// <summary>The contract description (what <c>--describe json</c> prints) and its fingerprint, a hash of the wire shape.</summary>
    private static string Describe(string contractName, List<MethodModel> methods, TypeResolver types, out string fingerprint)
    {
        var shape = new StringBuilder();
        shape.Append("\"methods\":[");
        for (int i = 0; i < methods.Count; i++)
        {
            MethodModel m = methods[i];
            if (i > 0) shape.Append(',');
            shape.Append("{\"name\":").Append(Json.Quote(m.WireName))
                .Append(",\"kind\":").Append(Json.Quote(m.KindName))
                .Append(",\"params\":[");
            for (int j = 0; j < m.Parameters.Count; j++)
            {
                ParameterModel p = m.Parameters[j];
                if (j > 0) shape.Append(',');
                shape.Append("{\"name\":").Append(Json.Quote(p.WireName)).Append(",\"type\":").Append(Json.Quote(p.Type.WireType));
                if (p.IsOptional) shape.Append(",\"optional\":true");
                if (p.Field != 0) shape.Append(",\"field\":").Append(p.Field);
                shape.Append('}');
            }
            shape.Append(']');
            if (m.Progress is { } reports) shape.Append(",\"progress\":").Append(Json.Quote(reports.WireType));
            if (m.Input is { } input)
            {
                shape.Append(",\"input\":{\"name\":").Append(Json.Quote(input.WireName)).Append(",\"type\":").Append(Json.Quote(input.Type.WireType));
                if (input.Field != m.InputPosition + 1) shape.Append(",\"field\":").Append(input.Field);
                shape.Append('}');
            }
            if (m.StreamsResult) shape.Append(",\"items\":").Append(Json.Quote(m.Result!.WireType));
            else if (m.Result is not null) shape.Append(",\"result\":").Append(Json.Quote(m.Result.WireType));
            shape.Append('}');
        }
        shape.Append("],\"types\":{");
        bool first = true;
        foreach (KeyValuePair<string, string> t in types.TypeDescriptions)
        {
            if (!first) shape.Append(',');
            first = false;
            shape.Append(Json.Quote(t.Key)).Append(':').Append(t.Value);
        }
        shape.Append('}');
        string body = shape.ToString();
        fingerprint = Naming.Fingerprint("{\"contract\":" + Json.Quote(contractName) + "," + body + "}");
        return "{\"contract\":" + Json.Quote(contractName) + ",\"fingerprint\":" + Json.Quote(fingerprint) + "," + body + "}";
    }
}
