using KillSafe.Analyzers.Catalog;
using KillSafe.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KillSafe.Analyzers.Tests;

/// <summary>The shared word scan that decides which files (and compilations) a rule looks at.</summary>
public class SourceWordsTests
{
    private static readonly ulong SysV = SourceWords.MaskOf(new[] { ResourceKind.SysVSharedMemory })!.Value;
    private static readonly ulong Socket = SourceWords.MaskOf(new[] { ResourceKind.ListeningSocket })!.Value;

    private static (Compilation Compilation, SyntaxTree[] Trees) Compile(params string[] sources)
    {
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, path: $"File{i}.cs")).ToArray();
        return (CSharpCompilation.Create("Words" + System.Guid.NewGuid().ToString("N"), trees, TestReferences.NetCore), trees);
    }

    [Fact]
    public void Every_anchor_word_fits_the_scan_table_and_the_mask()
    {
        // The scan indexes words by their first two characters in a 128 x 128 table, and a mask has 64 bits.
        Assert.InRange(SourceWords.AllWords.Length, 1, 64);
        Assert.All(SourceWords.AllWords, word => Assert.True(word.Length >= 2 && word[0] < 128 && word[1] < 128, word));
    }

    [Fact]
    public void A_file_mentions_the_words_it_contains_and_only_those()
    {
        var (compilation, trees) = Compile("class A { void M() { /* shmget */ } }", "class B { }", "class C { int bind; }");
        var words = SourceWords.For(compilation);
        Assert.NotEqual(0UL, words.In(trees[0]) & SysV);
        Assert.Equal(0UL, words.In(trees[0]) & Socket);
        Assert.Equal(0UL, words.In(trees[1]));
        Assert.NotEqual(0UL, words.In(trees[2]) & Socket); // "bind" as a whole member name
        Assert.Equal(words.In(trees[0]) | words.In(trees[2]), words.Mentioned);
    }

    [Fact]
    public void A_word_at_the_very_end_of_a_file_is_found()
    {
        var (compilation, trees) = Compile("// shmget");
        Assert.NotEqual(0UL, SourceWords.For(compilation).In(trees[0]) & SysV);
    }

    [Fact]
    public void A_renamed_PInvoke_carries_its_words_to_the_files_that_call_it()
    {
        var (compilation, trees) = Compile(
            "using System.Runtime.InteropServices; static class Native { [DllImport(\"libc\", EntryPoint = \"shmget\")] public static extern int Make(int key, nuint size, int flags); }",
            "class Store { int M() => Native.Make(0, 4096, 0x380); }",
            "class Other { }");
        var words = SourceWords.For(compilation);
        Assert.NotEqual(0UL, words.In(trees[1]) & SysV);
        Assert.Equal(0UL, words.In(trees[2]));
    }

    [Fact]
    public void A_compilation_without_any_word_resolves_no_view()
    {
        var (compilation, _) = Compile("class A { void M() { System.Console.WriteLine(1); } }");
        Assert.False(CatalogView.MayBeUsed(compilation, new[] { ResourceKind.ListeningSocket }));
        Assert.Null(CatalogView.Create(compilation, ResourceKind.ListeningSocket));
    }
}
