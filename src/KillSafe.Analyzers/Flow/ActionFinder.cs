using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Finds the identities that code acts on with one kind of catalog call (a removal, a socket option, a
/// close), directly or through helpers of the compilation (in any of its files) that act on what they are
/// given: a helper's summary, what it does to its parameters and fields, is computed once and kept for the
/// compilation. Code the analysis cannot see (a helper past the depth bound, a method of a library other
/// than the framework's, a call that does not bind) counts as a possible action on its arguments: when
/// identity cannot be proven, the rules prefer silence.
/// </summary>
internal sealed class ActionFinder
{
    /// <summary>How deep helper calls are followed; deeper chains count as possible removals.</summary>
    public const int MaxHelperDepth = 4;

    private readonly IdentityResolver _resolver;
    private readonly Func<IInvocationOperation, ApiEntry, bool> _isAction;
    private readonly bool _unseenHelpersMayAct;
    private readonly ImmutableHashSet<string> _configuredHelpers;
    private readonly string? _summaryKey;
    private readonly Dictionary<IMethodSymbol, List<ResourceIdentity>?> _helpers = new Dictionary<IMethodSymbol, List<ResourceIdentity>?>(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _inProgress = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);

    /// <param name="resolver">Resolves identities in the analysed tree (its catalog view decides which calls are rows).</param>
    /// <param name="isAction">Whether a catalog call is the sought action.</param>
    /// <param name="unseenHelpersMayAct">
    /// True (the default) when a helper whose body cannot be seen counts as acting on its arguments: right
    /// when the action keeps a rule quiet, wrong when the action is what makes a rule speak.
    /// </param>
    /// <param name="configuredHelpers">Documentation-comment IDs of the user's own helpers that act on their arguments (CleanupConfiguration).</param>
    /// <param name="summaryKey">
    /// Names what <paramref name="isAction"/> seeks (with the same key, the same question): helper summaries are
    /// then shared by every finder of the compilation. Null keeps them to this finder.
    /// </param>
    public ActionFinder(IdentityResolver resolver, Func<IInvocationOperation, ApiEntry, bool> isAction, bool unseenHelpersMayAct = true, ImmutableHashSet<string>? configuredHelpers = null, string? summaryKey = null)
    {
        _resolver = resolver;
        _isAction = isAction;
        _unseenHelpersMayAct = unseenHelpersMayAct;
        _configuredHelpers = configuredHelpers ?? ImmutableHashSet<string>.Empty;
        _summaryKey = summaryKey is null ? null : summaryKey + "|" + unseenHelpersMayAct + "|" + string.Join(",", _configuredHelpers.OrderBy(h => h, StringComparer.Ordinal));
    }

    /// <summary>Removals (catalog <see cref="ApiRole.Remove"/> rows) of resources of <paramref name="kind"/>.</summary>
    public static ActionFinder Removals(IdentityResolver resolver, ResourceKind kind, ImmutableHashSet<string>? configuredHelpers = null) =>
        new ActionFinder(resolver, (_, row) => row.Role == ApiRole.Remove && row.Kind == kind, configuredHelpers: configuredHelpers, summaryKey: "remove:" + kind);

    public IdentityResolver Resolver => _resolver;

    /// <summary>A P/Invoke (extern, or a LibraryImport partial without a body in source): native code, never a C# helper.</summary>
    private static bool IsNativeDeclaration(IMethodSymbol method) =>
        method.IsExtern || (method.IsPartialDefinition && method.PartialImplementationPart is null);

    /// <summary>Identities acted on by operations under <paramref name="root"/> that start in [<paramref name="from"/>, <paramref name="before"/>).</summary>
    public void Collect(IOperation root, int before, List<ResourceIdentity> into, int from = 0) => Collect(root, from, before, into, 0);

    /// <summary>A type of the framework (System.*, Microsoft.*): it acts on files only through the calls the catalog lists.</summary>
    public static bool IsFramework(IMethodSymbol method)
    {
        var ns = method.ContainingType?.ContainingNamespace;
        while (ns is { ContainingNamespace.IsGlobalNamespace: false })
            ns = ns.ContainingNamespace;
        return ns?.Name is "System" or "Microsoft";
    }

    private void AddArguments(IInvocationOperation invocation, List<ResourceIdentity> into)
    {
        foreach (var argument in invocation.Arguments)
            into.Add(_resolver.Resolve(argument.Value));
        if (invocation.Instance is not null && !invocation.TargetMethod.IsStatic)
            into.Add(_resolver.Resolve(invocation.Instance));
    }

    /// <summary>
    /// The operations under <paramref name="root"/>; before a position (<paramref name="before"/> other than
    /// int.MaxValue), not those inside a lambda or local function that does not contain it: code written before
    /// a call in such a body runs when the body is invoked, not before the call.
    /// </summary>
    private static IEnumerable<IOperation> Walk(IOperation root, int before)
    {
        if (before == int.MaxValue)
        {
            foreach (var operation in root.DescendantsAndSelf())
                yield return operation;
            yield break;
        }

        var pending = new Stack<IOperation>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            yield return current;
            foreach (var child in current.ChildOperations.Reverse())
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation) || child.Syntax.Span.Contains(before))
                    pending.Push(child);
            }
        }
    }

    private void Collect(IOperation root, int from, int before, List<ResourceIdentity> into, int depth)
    {
        foreach (var operation in Walk(root, before))
        {
            if (operation is IInvalidOperation invalid && _unseenHelpersMayAct && invalid.Syntax.SpanStart < before && invalid.Syntax.SpanStart >= from
                && invalid.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax)
            {
                // A call that does not bind (a type the compilation cannot see): it might act on what it is given.
                foreach (var child in invalid.ChildOperations)
                    into.Add(_resolver.Resolve(child));
                continue;
            }

            if (operation is not IInvocationOperation invocation || invocation.Syntax.SpanStart >= before || invocation.Syntax.SpanStart < from)
                continue;
            _resolver.CancellationToken.ThrowIfCancellationRequested();
            var method = invocation.TargetMethod;
            if (CleanupConfiguration.IsCleanup(method, _configuredHelpers))
            {
                // The user declared this helper a cleanup: it acts on whatever it is given.
                foreach (var argument in invocation.Arguments)
                    into.Add(_resolver.Resolve(argument.Value));
                if (invocation.Instance is not null)
                    into.Add(_resolver.Resolve(invocation.Instance));
                continue;
            }

            var row = _resolver.Catalog.Match(method);
            if (row is not null)
            {
                if (_isAction(invocation, row))
                    into.Add(IdentityOf(invocation, row));
                continue;
            }

            if (IsNativeDeclaration(method))
                continue; // a P/Invoke the catalog does not list: only catalog rows count
            if (method.DeclaringSyntaxReferences.IsEmpty || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _resolver.Model.Compilation.Assembly))
            {
                // Metadata or another project's source: the framework acts only through catalog rows; a
                // library of someone else's (the code under test, a file-system wrapper) might act on its arguments.
                if (_unseenHelpersMayAct && !IsFramework(method))
                    AddArguments(invocation, into);
                continue;
            }

            var removed = depth < MaxHelperDepth ? HelperRemovals(method.OriginalDefinition, depth + 1) : null;
            if (removed is null)
            {
                // Unseen source helper: whatever it is given, it might act on.
                if (_unseenHelpersMayAct)
                    AddArguments(invocation, into);
                continue;
            }

            foreach (var identity in removed)
                into.Add(MapToCaller(identity, method.OriginalDefinition, invocation));
        }
    }

    /// <summary>
    /// What <paramref name="method"/> acts on anywhere in its body (a handler method, a Dispose), as its callers
    /// would see it; an unknown identity when the body is not in this syntax tree (it might act on anything).
    /// </summary>
    public void CollectMethod(IMethodSymbol method, List<ResourceIdentity> into)
    {
        var acted = IsNativeDeclaration(method) ? null : HelperRemovals(method.OriginalDefinition, 1);
        if (acted is null)
            into.Add(ResourceIdentity.Unknown(method.Name));
        else
            into.AddRange(acted);
    }

    public ResourceIdentity IdentityOf(IInvocationOperation invocation, ApiEntry row)
    {
        if (row.IdentityArgument == ApiEntry.ReceiverIdentity)
            return invocation.Instance is null ? ResourceIdentity.Unknown(invocation.Syntax.ToString()) : _resolver.Resolve(invocation.Instance);
        return row.IdentityArgument < invocation.Arguments.Length
            ? _resolver.Resolve(IdentityResolver.ArgumentFor(invocation.Arguments, row.IdentityArgument))
            : ResourceIdentity.Unknown(invocation.Syntax.ToString());
    }

    /// <summary>A helper's removal of its own parameter is a removal of the caller's argument.</summary>
    private ResourceIdentity MapToCaller(ResourceIdentity identity, IMethodSymbol helper, IInvocationOperation call)
    {
        if (identity.Root is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, helper))
        {
            var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal);
            if (argument is null)
                return ResourceIdentity.Unknown(identity.Display);
            return identity.Rebase(_resolver.Resolve(argument.Value));
        }

        return identity;
    }

    /// <summary>
    /// What <paramref name="method"/> removes anywhere in its body (its summary, in terms of its parameters and
    /// fields); null when its body cannot be seen.
    /// </summary>
    private List<ResourceIdentity>? HelperRemovals(IMethodSymbol method, int depth)
    {
        if (_helpers.TryGetValue(method, out var known))
            return known;
        var shared = _summaryKey is null ? null : Summaries.For(_resolver.Model.Compilation);
        if (shared is not null && shared.TryGetValue((_summaryKey!, method), out var summary))
            return _helpers[method] = summary;
        if (!_inProgress.Add(method))
            return new List<ResourceIdentity>(); // recursion: the outer visit collects this body already

        List<ResourceIdentity>? result = null;
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var body = _resolver.OperationOf(reference.GetSyntax(_resolver.CancellationToken));
            if (body is null)
                continue;
            result ??= new List<ResourceIdentity>();
            Collect(body, 0, int.MaxValue, result, depth);
        }

        _inProgress.Remove(method);
        _helpers[method] = result;
        // A summary is shared only when nothing in it was cut short by recursion or the depth bound.
        if (shared is not null && _inProgress.Count == 0)
            shared.TryAdd((_summaryKey!, method), result);
        return result;
    }

    /// <summary>Helper summaries of a compilation, by question and method, shared by its analyzers' finders.</summary>
    private static class Summaries
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, System.Collections.Concurrent.ConcurrentDictionary<(string, IMethodSymbol), List<ResourceIdentity>?>> ByCompilation =
            new System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, System.Collections.Concurrent.ConcurrentDictionary<(string, IMethodSymbol), List<ResourceIdentity>?>>();

        public static System.Collections.Concurrent.ConcurrentDictionary<(string, IMethodSymbol), List<ResourceIdentity>?> For(Compilation compilation) =>
            ByCompilation.GetValue(compilation, _ => new System.Collections.Concurrent.ConcurrentDictionary<(string, IMethodSymbol), List<ResourceIdentity>?>(new KeyComparer()));

        private sealed class KeyComparer : IEqualityComparer<(string, IMethodSymbol)>
        {
            public bool Equals((string, IMethodSymbol) x, (string, IMethodSymbol) y) =>
                x.Item1 == y.Item1 && SymbolEqualityComparer.Default.Equals(x.Item2, y.Item2);

            public int GetHashCode((string, IMethodSymbol) obj) => (obj.Item1.GetHashCode() * 397) ^ SymbolEqualityComparer.Default.GetHashCode(obj.Item2);
        }
    }
}
