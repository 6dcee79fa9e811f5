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

        // Words by their first two characters, and which characters start a word: one pass over a file finds
        // every word (measured on 1,501 files: 1.5 ms against 2.4 ms for one IndexOf per word).
        private static readonly Dictionary<int, string[]> ByBigram = AllWords
            .GroupBy(w => (w[0] << 16) | w[1])
            .ToDictionary(g => g.Key, g => g.ToArray());

        private static readonly bool[] StartsAWord = BuildStarts();

        private static bool[] BuildStarts()
        {
            var starts = new bool[char.MaxValue + 1];
            foreach (var word in AllWords)
                starts[word[0]] = true;
            return starts;
        }

        private static ImmutableHashSet<string> Find(string text)
        {
            HashSet<string>? found = null;
            for (int i = 0; i + 1 < text.Length; i++)
            {
                if (!StartsAWord[text[i]] || !ByBigram.TryGetValue((text[i] << 16) | text[i + 1], out var candidates))
                    continue;
                foreach (var word in candidates)
                {
                    if (string.CompareOrdinal(text, i, word, 0, word.Length) == 0)
                        (found ??= new HashSet<string>(StringComparer.Ordinal)).Add(word);
                }
            }

            return found is null ? ImmutableHashSet<string>.Empty : found.ToImmutableHashSet(StringComparer.Ordinal);
        }
    }
}
