using System.Collections.Immutable;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// Valid code stays quiet: every analyzer over the project's own runtime sources, which create and remove
/// real kernel objects, gives no diagnostic (deliberate exceptions carry a #pragma with their reason).
/// </summary>
public sealed class OwnSourcesTests
{
    private static readonly DiagnosticAnalyzer[] Analyzers = typeof(StaleUnixSocketFileAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToArray();

    [Theory]
    [InlineData("src/KillSafe.Verification", false)]
    [InlineData("src/KillSafe.Cli", true)]
    [InlineData("tests/KillSafe.TestChild", true)]
    public async Task Every_analyzer_is_quiet_on_our_own_sources(string folder, bool executable)
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f))
            .Append(CSharpSyntaxTree.ParseText("global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic; global using System.Threading; global using System.Threading.Tasks;", parse));
        // Every KS rule at warning, the opt-in KS3004 included; executables as executables (KS4001 and KS5001 look only there).
        var options = new CSharpCompilationOptions(executable ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => new KeyValuePair<string, ReportDiagnostic>(d.Id, ReportDiagnostic.Warn)));
        var compilation = CSharpCompilation.Create("Own", trees, InMemoryProgram.References, options);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(Analyzers)).GetAnalyzerDiagnosticsAsync();
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
    }
}
