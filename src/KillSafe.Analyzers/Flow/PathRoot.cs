using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Where a path starts: its leftmost part, through <c>Path.Combine</c> (also its params array), string
/// concatenation, interpolation and variables written once. KS1003 asks whether a path lies under /dev/shm,
/// KS5003 whether it lies under <c>Path.GetTempPath()</c>.
/// </summary>
internal static class PathRoot
{
    /// <summary>A constant text that starts with the directory <paramref name="directory"/> (written with a trailing slash).</summary>
    public static Func<IOperation, bool> Directory(string directory) => part =>
        part.ConstantValue is { HasValue: true, Value: string text }
        && (text.StartsWith(directory, StringComparison.Ordinal) || text == directory.TrimEnd('/'));

    /// <summary>A call of <c>Path.GetTempPath()</c>.</summary>
    public static bool IsTempPath(IOperation part) =>
        part is IInvocationOperation { TargetMethod: { Name: ResourceCatalog.TempPathMethod, ContainingType: { } type } }
        && type.ToDisplayString() == ResourceCatalog.PathType;

    /// <summary>True when the leftmost part of the path <paramref name="value"/> satisfies <paramref name="isRoot"/>.</summary>
    public static bool StartsAt(IOperation value, IdentityResolver resolver, Func<IOperation, bool> isRoot) => StartsAt(value, resolver, isRoot, 0);

    private static bool StartsAt(IOperation value, IdentityResolver resolver, Func<IOperation, bool> isRoot, int depth)
    {
        if (depth > IdentityResolver.MaxDepth)
            return false;
        value = resolver.Origin(value);
        if (isRoot(value))
            return true;
        var leftmost = value switch
        {
            IInvocationOperation { TargetMethod: { Name: "Combine", ContainingType: { } type } } combine
                when type.ToDisplayString() == ResourceCatalog.PathType && combine.Arguments.Length > 0 =>
                combine.Arguments[0].Value is IArrayCreationOperation { Initializer.ElementValues: { Length: > 0 } elements } ? elements[0] : combine.Arguments[0].Value,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary => binary.LeftOperand,
            IInterpolatedStringOperation interpolated => interpolated.Parts.FirstOrDefault() switch
            {
                IInterpolatedStringTextOperation text => text.Text,
                IInterpolationOperation hole => hole.Expression,
                _ => null,
            },
            _ => null,
        };
        return leftmost is not null && StartsAt(leftmost, resolver, isRoot, depth + 1);
    }
}
