using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.Analyzers.Catalog
{
    /// <summary>
    /// Which of the catalog's anchor words (<see cref="ResourceCatalog.AnchorWords"/>) each file of a compilation
    /// mentions: one scan of the source text per compilation, shared by every rule, so that rules skip the files
    /// (and whole compilations) that cannot use their APIs. A P/Invoke declared under another C# name
    /// (<c>[DllImport("libc", EntryPoint = "shmget")] static extern int Create(...)</c>) carries the words of its
    /// declaring file to every file that mentions its name.
    /// </summary>
    internal sealed class SourceWords
    {
        // Lazy: analyzers start concurrently, and ConditionalWeakTable may run a factory more than once.
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, Lazy<SourceWords>> Cache = new();
        private static readonly string[] AllWords = ResourceCatalog.AnchorWords.Values.SelectMany(w => w).Distinct().ToArray();

        private readonly Dictionary<SyntaxTree, ImmutableHashSet<string>> _byTree;

        private SourceWords(Dictionary<SyntaxTree, ImmutableHashSet<string>> byTree, ImmutableHashSet<string> all)
        {
            _byTree = byTree;
            Mentioned = all;
        }

        /// <summary>Every word some file mentions.</summary>
        public ImmutableHashSet<string> Mentioned { get; }

        public static SourceWords For(Compilation compilation) =>
            Cache.GetValue(compilation, c => new Lazy<SourceWords>(() => Scan(c), System.Threading.LazyThreadSafetyMode.ExecutionAndPublication)).Value;

        /// <summary>The words <paramref name="tree"/> mentions (empty for a tree not in the compilation).</summary>
        public ImmutableHashSet<string> In(SyntaxTree tree) => _byTree.TryGetValue(tree, out var words) ? words : ImmutableHashSet<string>.Empty;

        private static SourceWords Scan(Compilation compilation)
        {
            var texts = compilation.SyntaxTrees.ToDictionary(t => t, t => t.GetText().ToString());
            var byTree = new Dictionary<SyntaxTree, ImmutableHashSet<string>>();
            var aliases = new Dictionary<string, ImmutableHashSet<string>>(StringComparer.Ordinal);
            foreach (var pair in texts)
            {
                var found = Find(pair.Value);
                byTree[pair.Key] = found;
                if (found.IsEmpty || (pair.Value.IndexOf("DllImport", StringComparison.Ordinal) < 0 && pair.Value.IndexOf("LibraryImport", StringComparison.Ordinal) < 0))
                    continue;
                foreach (var method in pair.Key.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
                {
                    if (method.Modifiers.Any(SyntaxKind.ExternKeyword) || method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().EndsWith("LibraryImport", StringComparison.Ordinal)))
                        aliases[method.Identifier.ValueText] = aliases.TryGetValue(method.Identifier.ValueText, out var known) ? known.Union(found) : found;
                }
            }

            if (aliases.Count > 0)
            {
                foreach (var pair in texts)
                {
                    foreach (var alias in aliases)
                    {
                        if (pair.Value.IndexOf(alias.Key, StringComparison.Ordinal) >= 0)
                            byTree[pair.Key] = byTree[pair.Key].Union(alias.Value);
                    }
                }
            }

            return new SourceWords(byTree, byTree.Values.SelectMany(w => w).ToImmutableHashSet(StringComparer.Ordinal));
        }

        private static ImmutableHashSet<string> Find(string text)
        {
            var found = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (var word in AllWords)
            {
                if (text.IndexOf(word, StringComparison.Ordinal) >= 0)
                    found.Add(word);
            }

            return found.ToImmutable();
        }
    }
}
