using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using SidecarKit.Generator.Model;

namespace SidecarKit.Generator.Parsing;

/// <summary>
/// Protocol Buffers field numbers: a field's number is its position (from 1) unless <c>[SidecarField(n)]</c> fixes it.
/// </summary>
internal static class FieldNumbers
{
    private const int Max = 536_870_911;

    /// <summary>The number given by <c>[SidecarField]</c> on the symbol, or 0.</summary>
    public static int Of(ISymbol symbol)
    {
        foreach (AttributeData a in symbol.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() == "SidecarKit.SidecarFieldAttribute" && a.ConstructorArguments.Length == 1
                && a.ConstructorArguments[0].Value is int n)
                return n == 0 ? -1 : n; // 0 means "positional" inside the model; an explicit 0 is invalid
        }
        return 0;
    }

    /// <summary>Checks the last field added against the ones before it; returns the problem, or null.</summary>
    public static string? Check<T>(IReadOnlyList<T> fields, Func<T, int> explicitNumber)
    {
        int last = fields.Count - 1;
        int number = Effective(explicitNumber(fields[last]), last);
        if (number < 1 || number > Max)
            return $"the field number {(number == -1 ? 0 : number)} is out of range: use 1 to {Max}";
        if (number >= 19_000 && number <= 19_999)
            return $"the field number {number} is reserved by Protocol Buffers (19000 to 19999)";
        for (int i = 0; i < last; i++)
        {
            if (Effective(explicitNumber(fields[i]), i) == number)
                return $"the field number {number} is already used by the field at position {i + 1}";
        }
        return null;
    }

    /// <summary>
    /// The numbers <c>[SidecarReserved]</c> on <paramref name="symbol"/> (a DTO or a contract method) reserves, sorted and
    /// each once. An invalid one (out of range or in Protocol Buffers' own 19000 to 19999) is reported (SK0022) at the
    /// attribute, as <paramref name="owner"/>'s, and left out.
    /// </summary>
    public static EquatableArray<int> Reserved(ISymbol symbol, string owner, Location? fallback, List<DiagnosticInfo> diagnostics)
    {
        SortedSet<int>? numbers = null;
        foreach (AttributeData a in symbol.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() != "SidecarKit.SidecarReservedAttribute" || a.ConstructorArguments.Length != 1) continue;
            TypedConstant argument = a.ConstructorArguments[0];
            IEnumerable<TypedConstant> values = argument.Kind == TypedConstantKind.Array ? argument.Values : new[] { argument };
            foreach (TypedConstant value in values)
            {
                if (value.Value is not int n) continue;
                if (ReservedProblem(n) is { } problem)
                {
                    Location? at = a.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? fallback;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedFieldNumber, at,
                        n.ToString(CultureInfo.InvariantCulture), owner, problem));
                    continue;
                }
                (numbers ??= new SortedSet<int>()).Add(n);
            }
        }
        return numbers is null ? EquatableArray<int>.Empty : numbers.ToEquatableArray();
    }

    /// <summary>What SK0022 says of a reserved number that cannot be one, or null when it can.</summary>
    private static string? ReservedProblem(int number)
    {
        if (number < 1 || number > Max)
            return $"cannot be reserved ([SidecarReserved]): it is out of range, use 1 to {Max}";
        if (number >= 19_000 && number <= 19_999)
            return "cannot be reserved ([SidecarReserved]): 19000 to 19999 are reserved by Protocol Buffers itself, no field can have them";
        return null;
    }

    /// <summary>What SK0022 says of a member or parameter whose number is reserved.</summary>
    public const string ReusedProblem = "is reserved ([SidecarReserved]): a removed field's number must not be reused; pin this one with [SidecarField] to another number";

    /// <summary>The field number of the field at <paramref name="index"/>: its pin, else its position from 1. The one place this rule lives.</summary>
    public static int Effective(int explicitNumber, int index) => explicitNumber == 0 ? index + 1 : explicitNumber;
}
