using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow
{
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
        public static List<(IOperation Call, ISymbol? Caller)>? Of(IMethodSymbol method, IdentityResolver resolver)
        {
            var name = method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name;
            var target = method.OriginalDefinition;
            var found = new List<(IOperation, ISymbol?)>();
            foreach (var tree in resolver.Model.Compilation.SyntaxTrees)
            {
                resolver.CancellationToken.ThrowIfCancellationRequested();
                if (tree.GetText(resolver.CancellationToken).ToString().IndexOf(name, StringComparison.Ordinal) < 0 || resolver.ModelFor(tree) is not { } model)
                    continue;
                foreach (var node in tree.GetRoot(resolver.CancellationToken).DescendantNodes().Where(n => n is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or ConstructorInitializerSyntax))
                {
                    if (!node.DescendantTokens().Any(t => t.ValueText == name) && node is not ConstructorInitializerSyntax)
                        continue;
                    if (model.GetOperation(node, resolver.CancellationToken) is not { } call || !SymbolEqualityComparer.Default.Equals(CallSite.Of(call).Method?.OriginalDefinition, target))
                        continue;
                    found.Add((call, model.GetEnclosingSymbol(node.SpanStart, resolver.CancellationToken)));
                    if (found.Count > MaxCalls)
                        return null;
                }
            }

            return found;
        }
    }
}
