using System.Collections.Immutable;
using System.Text.RegularExpressions;
using KillSafe.Tests.Shared;
using KillSafe.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// Every C# block of the pages users copy from compiles against the library as it is: the .NET reference
/// pack, KillSafe.Verification, and the test frameworks the examples use (xunit, NUnit, MSTest), with the
/// global usings of an SDK project (ImplicitUsings). A block is a file: top-level statements or types.
/// </summary>
public sealed class DocsSnippetTests
{
    // What `<ImplicitUsings>enable</ImplicitUsings>` gives a console or test project.
    private const string ImplicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    private static readonly ImmutableArray<MetadataReference> References = TestReferences.NetCore
        .Add(MetadataReference.CreateFromFile(typeof(LeakGuard).Assembly.Location))
        .AddRange(Directory.GetFiles(AppContext.BaseDirectory, "xunit.*.dll").Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)))
        .AddRange(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "snippet-references"), "*.dll").Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)));

    private static IReadOnlyList<(int Line, string Code)> Blocks(string file)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, file)).Replace("\r\n", "\n", StringComparison.Ordinal);
        return Regex.Matches(text, "^```csharp\n(.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => (text[..m.Index].Count(c => c == '\n') + 1, m.Groups[1].Value))
            .ToList();
    }

    [Theory]
    [InlineData("docs/verification.md", 4)]
    [InlineData("src/KillSafe.Verification/README.md", 1)]
    public void Every_csharp_block_compiles(string file, int expected)
    {
        var blocks = Blocks(file);
        Assert.Equal(expected, blocks.Count); // the page's blocks were found, so none passes unseen
        foreach (var (line, code) in blocks)
        {
            var tree = CSharpSyntaxTree.ParseText(code, InMemoryProgram.ParseOptions, path: $"{file}:{line}");
            bool program = tree.GetCompilationUnitRoot().Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
            var compilation = CSharpCompilation.Create(
                "Snippet",
                new[] { tree, CSharpSyntaxTree.ParseText(ImplicitUsings, InMemoryProgram.ParseOptions) },
                References,
                new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, $"the block at {file}:{line} does not compile:\n" + string.Join("\n", errors) + "\n" + code);
        }
    }

    [Fact]
    public void The_test_framework_examples_are_there_for_xunit_NUnit_and_MSTest()
    {
        var code = string.Join("\n", Blocks("docs/verification.md").Select(b => b.Code));
        Assert.Contains("using Xunit;", code);
        Assert.Contains("using NUnit.Framework;", code);
        Assert.Contains("using Microsoft.VisualStudio.TestTools.UnitTesting;", code);
    }
}
