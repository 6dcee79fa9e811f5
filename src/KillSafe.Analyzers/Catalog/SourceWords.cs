using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.Analyzers.Catalog;

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

    /// <summary>Every anchor word once; a word's bit in a mask is its index here.</summary>
    internal static readonly ImmutableArray<string> AllWords = ResourceCatalog.AnchorWords.Values.SelectMany(w => w).Distinct().ToImmutableArray();

    private readonly Dictionary<SyntaxTree, ulong> _byTree;

    private SourceWords(Dictionary<SyntaxTree, ulong> byTree, ulong all)
    {
        _byTree = byTree;
        Mentioned = all;
    }

    /// <summary>The words some file mentions, as a mask (<see cref="MaskOf"/>).</summary>
    public ulong Mentioned { get; }

    public static SourceWords For(Compilation compilation) =>
        Cache.GetValue(compilation, c => new Lazy<SourceWords>(() => Scan(c), System.Threading.LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>
    /// The mask of the anchor words of <paramref name="kinds"/> (one bit per word in <see cref="AllWords"/>), or
    /// null when one of the kinds has no words and so cannot be filtered on.
    /// </summary>
    public static ulong? MaskOf(IEnumerable<ResourceKind> kinds)
    {
        ulong mask = 0;
        foreach (var kind in kinds)
        {
            if (!ResourceCatalog.AnchorWords.TryGetValue(kind, out var words))
                return null;
            foreach (var word in words)
                mask |= 1UL << AllWords.IndexOf(word);
        }

        return mask;
    }

    /// <summary>True when some file mentions <paramref name="word"/> (one of <see cref="AllWords"/>).</summary>
    public bool Mentions(string word)
    {
        int index = AllWords.IndexOf(word);
        return index >= 0 && (Mentioned & (1UL << index)) != 0;
    }

    public ulong In(SyntaxTree tree) => _byTree.TryGetValue(tree, out var words) ? words : 0;

    private static SourceWords Scan(Compilation compilation)
    {
        var texts = compilation.SyntaxTrees.Select(t => (Tree: t, Text: t.GetText().ToString())).ToList();
        var byTree = new Dictionary<SyntaxTree, ulong>(texts.Count);
        var aliases = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var (tree, text) in texts)
        {
            var found = Find(text);
            byTree[tree] = found;
            if (found == 0 || (text.IndexOf("DllImport", StringComparison.Ordinal) < 0 && text.IndexOf("LibraryImport", StringComparison.Ordinal) < 0))
                continue;
            // Declarations only: P/Invokes are members of types, so member bodies are not walked.
            foreach (var method in tree.GetRoot().DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax).OfType<MethodDeclarationSyntax>())
            {
                if (method.Modifiers.Any(SyntaxKind.ExternKeyword) || method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().EndsWith("LibraryImport", StringComparison.Ordinal)))
                    aliases[method.Identifier.ValueText] = (aliases.TryGetValue(method.Identifier.ValueText, out var known) ? known : 0) | found;
            }
        }

        ulong all = 0;
        foreach (var (tree, text) in texts)
        {
            foreach (var alias in aliases)
            {
                // A file that already has every word the alias carries needs no search.
                if ((byTree[tree] & alias.Value) != alias.Value && text.IndexOf(alias.Key, StringComparison.Ordinal) >= 0)
                    byTree[tree] |= alias.Value;
            }

            all |= byTree[tree];
        }

        return new SourceWords(byTree, all);
    }

    // The candidate words by their first two characters when both are ASCII (every anchor word starts so, see
    // SourceWordsTests), in a flat table: one pass over a file costs two array reads per character, no hashing.
    private static readonly int[]?[] ByBigram = BuildBigrams();

    // MethodImplOptions.AggressiveOptimization (.NET Core 3.0 and later; netstandard2.0 lacks the name, and
    // .NET Framework ignores the flag).
    private const System.Runtime.CompilerServices.MethodImplOptions AggressiveOptimization = (System.Runtime.CompilerServices.MethodImplOptions)512;

    private static int[]?[] BuildBigrams()
    {
        var table = new int[]?[128 * 128];
        for (int index = 0; index < AllWords.Length; index++)
        {
            var word = AllWords[index];
            int slot = (word[0] << 7) | word[1];
            var known = table[slot] ?? Array.Empty<int>();
            table[slot] = known.Concat(new[] { index }).ToArray();
        }

        return table;
    }

    // Fully optimized from the first call: with tiered compilation this loop ran as unoptimized code through
    // whole benchmark runs (the compiler keeps JIT-compiling new methods, which delays tier-up). Measured on the
    // benchmark's 1,501 files (1.86 M characters): 13.7 ms tiered, 3.1-3.4 ms with this flag (docs/performance.md).
    [System.Runtime.CompilerServices.MethodImpl(AggressiveOptimization)]
    private static ulong Find(string text)
    {
        ulong found = 0;
        var table = ByBigram;
        for (int i = 0; i + 1 < text.Length; i++)
        {
            int first = text[i], second = text[i + 1];
            if ((first | second) >= 128 || table[(first << 7) | second] is not { } candidates)
                continue;
            foreach (var index in candidates)
            {
                var word = AllWords[index];
                if ((found & (1UL << index)) == 0 && string.CompareOrdinal(text, i, word, 0, word.Length) == 0)
                    found |= 1UL << index;
            }
        }

        return found;
    }
}
