using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>The method and arguments of a call or an object creation, the two shapes catalog rows match.</summary>
internal static class CallSite
{
    /// <summary>The called method (a constructor for <c>new</c>) and its arguments; a null method for other operations.</summary>
    public static (IMethodSymbol? Method, ImmutableArray<IArgumentOperation> Arguments) Of(IOperation operation) => operation switch
    {
        IInvocationOperation invocation => (invocation.TargetMethod, invocation.Arguments),
        IObjectCreationOperation { Constructor: { } ctor } creation => (ctor, creation.Arguments),
        _ => (null, ImmutableArray<IArgumentOperation>.Empty),
    };

    /// <summary>Cheap pre-filter: <paramref name="operation"/> calls a creating row of <paramref name="catalog"/>.</summary>
    public static bool IsCreation(IOperation operation, Catalog.CatalogView catalog) =>
        Of(operation).Method is { } method && catalog.Match(method) is { Role: Catalog.ApiRole.Create };

    /// <summary>How messages name a managed call: <c>File.WriteAllText</c>, <c>FileStream</c> for a constructor.</summary>
    public static string Display(IMethodSymbol method) =>
        method.ContainingType.Name + (method.MethodKind == MethodKind.Constructor ? string.Empty : "." + method.Name);
}
