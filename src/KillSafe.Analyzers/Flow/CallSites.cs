using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// The calls of a source method (or constructor) in the whole compilation: found by a word search over the
/// files' text, then bound only where the name appears. Used where a finding depends on the callers (a
/// helper that creates into its parameter, a member only guarded callers reach). Bounded: past
/// <see cref="MaxCalls"/> the answer is null ("too many to judge"), and the rules then prefer silence.
/// </summary>
internal static class CallSites
{
    public const int MaxCalls = 32;

    /// <summary>Each call of <paramref name="method"/> with the symbol it is made in; null when there are more than <see cref="MaxCalls"/>.</summary>
    /// <remarks>
    /// The calls of every method of one name are found and bound once per compilation, whichever analyzer asks
    /// first, and shared: binding the candidate calls is the cost, and generated or large code has many methods
    /// of one name (every class's Start or Listen).
    /// </remarks>
    public static List<(IOperation Call, ISymbol? Caller)>? Of(IMethodSymbol method, IdentityResolver resolver)
    {
        var target = method.OriginalDefinition;
        var name = target.MethodKind == MethodKind.Constructor ? target.ContainingType.Name : target.Name;
        // Not a Lazy: a cancelled first question must not leave its exception cached for the next one.
        var shared = Shared.For(resolver.Model.Compilation).Candidates;
        var candidates = shared.TryGetValue(name, out var known) ? known : shared.GetOrAdd(name, Bind(name, resolver));
        var found = new List<(IOperation, ISymbol?)>();
        foreach (var candidate in candidates)
        {
            if (!SymbolEqualityComparer.Default.Equals(candidate.Target, target))
                continue;
            found.Add((candidate.Call, candidate.Caller));
            if (found.Count > MaxCalls)
                return null;
        }

        return found;
    }

    /// <summary>Every call in the compilation whose syntax names <paramref name="name"/> (a method, or a type for constructors), bound.</summary>
    private static List<Candidate> Bind(string name, IdentityResolver resolver)
    {
        var result = new List<Candidate>();
        foreach (var tree in resolver.Model.Compilation.SyntaxTrees)
        {
            resolver.CancellationToken.ThrowIfCancellationRequested();
            if (tree.GetText(resolver.CancellationToken).ToString().IndexOf(name, StringComparison.Ordinal) < 0 || resolver.ModelFor(tree) is not { } model)
                continue;
            foreach (var node in tree.GetRoot(resolver.CancellationToken).DescendantNodes())
            {
                if (!Names(node, name) || model.GetOperation(node, resolver.CancellationToken) is not { } call || CallSite.Of(call).Method is not { } method)
                    continue;
                result.Add(new Candidate(call, method.OriginalDefinition, model.GetEnclosingSymbol(node.SpanStart, resolver.CancellationToken)));
            }
        }

        return result;
    }

    /// <summary>The call <paramref name="node"/> is spelled with <paramref name="name"/>: <c>x.Name(...)</c>, <c>Name&lt;T&gt;(...)</c>, <c>new Name(...)</c>; <c>: this(...)</c> and <c>: base(...)</c> always.</summary>
    private static bool Names(SyntaxNode node, string name)
    {
        switch (node)
        {
            case ConstructorInitializerSyntax:
                return true;
            case InvocationExpressionSyntax invocation:
                return RightmostName(invocation.Expression) == name;
            case ObjectCreationExpressionSyntax creation:
                return RightmostName(creation.Type) == name;
            case ImplicitObjectCreationExpressionSyntax:
                return true; // new(...): the type is the target's; only binding tells
            default:
                return false;
        }
    }

    private static string? RightmostName(SyntaxNode expression) => expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => null,
    };

    private sealed class Candidate
    {
        public Candidate(IOperation call, IMethodSymbol target, ISymbol? caller)
        {
            Call = call;
            Target = target;
            Caller = caller;
        }

        public IOperation Call { get; }

        public IMethodSymbol Target { get; }

        public ISymbol? Caller { get; }
    }

    /// <summary>What the questions of one compilation share: the bound candidate calls of each name.</summary>
    private sealed class Shared
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, Shared> ByCompilation =
            new System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, Shared>();

        public System.Collections.Concurrent.ConcurrentDictionary<string, List<Candidate>> Candidates { get; } =
            new System.Collections.Concurrent.ConcurrentDictionary<string, List<Candidate>>(StringComparer.Ordinal);

        public static Shared For(Compilation compilation) => ByCompilation.GetValue(compilation, _ => new Shared());
    }
}
