using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// The code of a type that only its finalizer runs: the finalizer itself and private methods whose every
/// call in the type comes from such code (<c>~Segment() =&gt; Release();</c>). .NET does not run finalizers
/// when the process exits (docs/linux-facts.md; docs/signals.md), so cleanup there never runs at exit.
/// </summary>
internal static class FinalizerReach
{
    /// <summary>The finalizer-only methods of <paramref name="type"/> (empty when it has no finalizer in this tree).</summary>
    public static HashSet<IMethodSymbol> Methods(INamedTypeSymbol type, IdentityResolver resolver)
    {
        var only = new HashSet<IMethodSymbol>(type.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Destructor), SymbolEqualityComparer.Default);
        if (only.Count == 0)
            return only;

        // Which bodies call (or take as a delegate) each private method of the type.
        var bodies = resolver.TypeBodies(type);
        var callers = new Dictionary<IMethodSymbol, List<ISymbol?>>(SymbolEqualityComparer.Default);
        foreach (var body in bodies)
        {
            var owner = DeclaredSymbol(body);
            foreach (var operation in body.DescendantsAndSelf())
            {
                var target = operation switch
                {
                    IInvocationOperation invocation => invocation.TargetMethod,
                    IMethodReferenceOperation reference => reference.Method,
                    _ => null,
                };
                if (target is null || target.DeclaredAccessibility != Accessibility.Private || !SymbolEqualityComparer.Default.Equals(target.ContainingType, type))
                    continue;
                if (!callers.TryGetValue(target.OriginalDefinition, out var list))
                    callers[target.OriginalDefinition] = list = new List<ISymbol?>();
                list.Add(owner);
            }
        }

        // Grow the set from the finalizer, a bounded number of call levels deep.
        for (int depth = 0; depth < ActionFinder.MaxHelperDepth; depth++)
        {
            var added = callers
                .Where(c => !only.Contains(c.Key) && c.Value.All(caller => caller is IMethodSymbol m && only.Contains(m)))
                .Select(c => c.Key)
                .ToList();
            if (added.Count == 0)
                break;
            only.UnionWith(added);
        }

        return only;
    }

    /// <summary>The member a body belongs to (null for initializers).</summary>
    public static ISymbol? DeclaredSymbol(IOperation body) => body.SemanticModel?.GetDeclaredSymbol(body.Syntax);
}
