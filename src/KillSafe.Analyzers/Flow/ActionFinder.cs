using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow
{
    /// <summary>
    /// Finds the identities that code acts on with one kind of catalog call (a removal, a socket option, a
    /// close), directly or through helpers declared in the same syntax tree that act on what they are given.
    /// A call into source code the analysis cannot see counts as a possible action on its arguments: when
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
        private readonly Dictionary<IMethodSymbol, List<ResourceIdentity>?> _helpers = new Dictionary<IMethodSymbol, List<ResourceIdentity>?>(SymbolEqualityComparer.Default);
        private readonly HashSet<IMethodSymbol> _inProgress = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);

        /// <param name="resolver">Resolves identities in the analysed tree (its catalog view decides which calls are rows).</param>
        /// <param name="isAction">Whether a catalog call is the sought action.</param>
        /// <param name="unseenHelpersMayAct">
        /// True (the default) when a helper whose body cannot be seen counts as acting on its arguments: right
        /// when the action keeps a rule quiet, wrong when the action is what makes a rule speak.
        /// </param>
        /// <param name="configuredHelpers">Documentation-comment IDs of the user's own helpers that act on their arguments (CleanupConfiguration).</param>
        public ActionFinder(IdentityResolver resolver, Func<IInvocationOperation, ApiEntry, bool> isAction, bool unseenHelpersMayAct = true, ImmutableHashSet<string>? configuredHelpers = null)
        {
            _resolver = resolver;
            _isAction = isAction;
            _unseenHelpersMayAct = unseenHelpersMayAct;
            _configuredHelpers = configuredHelpers ?? ImmutableHashSet<string>.Empty;
        }

        /// <summary>Removals (catalog <see cref="ApiRole.Remove"/> rows) of resources of <paramref name="kind"/>.</summary>
        public static ActionFinder Removals(IdentityResolver resolver, ResourceKind kind, ImmutableHashSet<string>? configuredHelpers = null) =>
            new ActionFinder(resolver, (_, row) => row.Role == ApiRole.Remove && row.Kind == kind, configuredHelpers: configuredHelpers);

        public IdentityResolver Resolver => _resolver;

        /// <summary>A P/Invoke (extern, or a LibraryImport partial without a body in source): native code, never a C# helper.</summary>
        private static bool IsNativeDeclaration(IMethodSymbol method) =>
            method.IsExtern || (method.IsPartialDefinition && method.PartialImplementationPart is null);

        /// <summary>Identities acted on by operations under <paramref name="root"/> that start in [<paramref name="from"/>, <paramref name="before"/>).</summary>
        public void Collect(IOperation root, int before, List<ResourceIdentity> into, int from = 0) => Collect(root, from, before, into, 0);

        private void Collect(IOperation root, int from, int before, List<ResourceIdentity> into, int depth)
        {
            foreach (var operation in root.DescendantsAndSelf())
            {
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

                if (method.DeclaringSyntaxReferences.IsEmpty || IsNativeDeclaration(method))
                    continue; // metadata, or a P/Invoke the catalog does not list: only catalog rows count

                var removed = depth < MaxHelperDepth ? HelperRemovals(method.OriginalDefinition, depth + 1) : null;
                if (removed is null)
                {
                    // Unseen source helper: whatever it is given, it might act on.
                    if (_unseenHelpersMayAct)
                    {
                        foreach (var argument in invocation.Arguments)
                            into.Add(_resolver.Resolve(argument.Value));
                    }

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

        /// <summary>What <paramref name="method"/> removes anywhere in its body; null when its body cannot be seen.</summary>
        private List<ResourceIdentity>? HelperRemovals(IMethodSymbol method, int depth)
        {
            if (_helpers.TryGetValue(method, out var known))
                return known;
            if (!_inProgress.Add(method))
                return new List<ResourceIdentity>(); // recursion: the outer visit collects this body already

            List<ResourceIdentity>? result = null;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree != _resolver.Model.SyntaxTree)
                    continue;
                var body = _resolver.Model.GetOperation(reference.GetSyntax(_resolver.CancellationToken), _resolver.CancellationToken);
                if (body is null)
                    continue;
                result ??= new List<ResourceIdentity>();
                Collect(body, 0, int.MaxValue, result, depth);
            }

            _inProgress.Remove(method);
            _helpers[method] = result;
            return result;
        }
    }
}
