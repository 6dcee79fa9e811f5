using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Which code runs before or after a call, as far as one syntax tree shows: earlier code of the same
/// body, the constructors and initializers of the type (for an instance member), earlier code of the
/// callers in the same type (bounded depth); and, for "after", later code of the body and every other
/// member of the type.
/// </summary>
internal static class Precedence
{
    /// <summary>What <paramref name="finder"/> finds in code that runs before <paramref name="call"/>.</summary>
    public static List<ResourceIdentity> ActionsBefore(IOperation call, ISymbol containing, ActionFinder finder)
    {
        var found = new List<ResourceIdentity>();
        finder.Collect(IdentityResolver.Root(call), call.Syntax.SpanStart, found);
        if (containing is not IMethodSymbol member || member.ContainingType is not { } type)
            return found;

        if (!member.IsStatic && member.MethodKind != MethodKind.Constructor)
        {
            foreach (var body in finder.Resolver.TypeBodies(type, node => node is ConstructorDeclarationSyntax or EqualsValueClauseSyntax))
            {
                if (IsConstruction(body))
                    finder.Collect(body, int.MaxValue, found);
            }
        }

        // Callers in the same type that act before they call into the member.
        var frontier = new List<IMethodSymbol> { member.OriginalDefinition };
        var seen = new HashSet<IMethodSymbol>(frontier, SymbolEqualityComparer.Default);
        for (int depth = 0; depth < ActionFinder.MaxHelperDepth && frontier.Count > 0; depth++)
        {
            var next = new List<IMethodSymbol>();
            var mayCall = MayCall(frontier);
            foreach (var body in finder.Resolver.TypeBodies(type, mayCall))
            {
                foreach (var callSite in body.DescendantsAndSelf().OfType<IInvocationOperation>())
                {
                    if (!frontier.Contains(callSite.TargetMethod.OriginalDefinition, SymbolEqualityComparer.Default))
                        continue;
                    finder.Collect(body, callSite.Syntax.SpanStart, found);
                    if (body.SemanticModel?.GetDeclaredSymbol(body.Syntax) is IMethodSymbol caller && seen.Add(caller))
                        next.Add(caller);
                }
            }

            frontier = next;
        }

        return found;
    }

    /// <summary>
    /// What <paramref name="finder"/> finds in code that can run after <paramref name="call"/>: later in the same
    /// body, and in every member of the type other than constructors and initializers (Dispose, Stop, ...).
    /// </summary>
    /// <param name="skipBody">Member bodies to leave out (KS4002 leaves out finalizers and what only they call).</param>
    /// <param name="elsewhereOnlyKnown">
    /// Keep only the identified actions of the other members: for a name only this body holds (a fresh
    /// <c>GetTempFileName</c> name in a local), another member's action on an object it cannot identify is
    /// about something else; the name reaches other code only by a hand-over, which the rules check apart.
    /// </param>
    public static List<ResourceIdentity> ActionsAfter(IOperation call, ISymbol containing, ActionFinder finder, System.Func<IOperation, bool>? skipBody = null, bool elsewhereOnlyKnown = false)
    {
        var found = new List<ResourceIdentity>();
        var root = IdentityResolver.Root(call);
        finder.Collect(root, int.MaxValue, found, from: call.Syntax.Span.End);
        // A field or property initializer runs at construction: every member may run after it.
        var type = containing is IMethodSymbol or IFieldSymbol or IPropertySymbol ? containing.ContainingType : null;
        if (type is null)
            return found;
        foreach (var body in finder.Resolver.TypeBodies(type))
        {
            if (!IsConstruction(body) && body.Syntax != root.Syntax && skipBody?.Invoke(body) != true)
            {
                int before = found.Count;
                finder.Collect(body, int.MaxValue, found);
                for (int i = found.Count - 1; elsewhereOnlyKnown && i >= before; i--)
                {
                    if (found[i].IsUnknown)
                        found.RemoveAt(i);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// A syntactic test for a body that may call one of <paramref name="methods"/>: it mentions one of their
    /// names. Constructors (<c>: this(...)</c>), accessors and operators are called without their name, so
    /// then every body may.
    /// </summary>
    private static System.Func<SyntaxNode, bool> MayCall(List<IMethodSymbol> methods)
    {
        if (methods.Any(m => m.MethodKind != MethodKind.Ordinary))
            return _ => true;
        var names = new HashSet<string>(methods.Select(m => m.Name), System.StringComparer.Ordinal);
        return node => node.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && names.Contains(t.ValueText));
    }

    private static bool IsConstruction(IOperation body) =>
        body is IConstructorBodyOperation or IFieldInitializerOperation or IPropertyInitializerOperation;
}
