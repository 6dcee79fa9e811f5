using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Names that differ from run to run: a path built from a GUID, a random file name, a temp file name, the pid.
/// No later run meets such a file again, so it can neither be a lock shared by all instances (KS5002) nor a
/// stale socket file that blocks the next bind (KS2001); it may still be litter.
/// </summary>
internal static class UniqueNames
{
    /// <summary>Calls and properties whose value differs from run to run.</summary>
    private static readonly ImmutableHashSet<string> UniqueValues = ImmutableHashSet.Create(
        System.StringComparer.Ordinal, "System.Guid.NewGuid", "System.IO.Path.GetRandomFileName", "System.IO.Path.GetTempFileName", "System.Environment.ProcessId", "System.Diagnostics.Process.Id", "System.Random.Next");

    /// <summary>
    /// True when <paramref name="path"/> is built from a value that differs from run to run, through variables
    /// written once and through helpers of the compilation that return such a name (<c>CreateTempSocketPath()</c>).
    /// </summary>
    public static bool IsUniquePerRun(IOperation path, IdentityResolver resolver) => IsUniquePerRun(path, resolver, 0);

    private static bool IsUniquePerRun(IOperation path, IdentityResolver resolver, int depth)
    {
        if (depth > IdentityResolver.MaxDepth)
            return false;
        foreach (var part in resolver.Origin(path).DescendantsAndSelf())
        {
            var member = part switch
            {
                IInvocationOperation call => call.TargetMethod.OriginalDefinition,
                IPropertyReferenceOperation property => (ISymbol)property.Property.OriginalDefinition,
                _ => null,
            };
            if (member?.ContainingType is { } type && UniqueValues.Contains(type.ToDisplayString() + "." + member.Name))
                return true;
            if (part is ILocalReferenceOperation or IFieldReferenceOperation && !ReferenceEquals(part, path) && IsUniquePerRun(part, resolver, depth + 1))
                return true;
            // A helper of the compilation: what it returns.
            if (part is IInvocationOperation { TargetMethod: { } helper } && resolver.BodyOf(helper) is { } body
                && body.DescendantsAndSelf().OfType<IReturnOperation>().Where(r => r.ReturnedValue is not null).ToList() is { Count: > 0 } returns
                && returns.All(r => IsUniquePerRun(r.ReturnedValue!, resolver, depth + 1)))
                return true;
        }

        return false;
    }
}
