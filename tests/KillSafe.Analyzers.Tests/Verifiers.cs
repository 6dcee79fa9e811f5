using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using KillSafe.Tests.Shared;

namespace KillSafe.Analyzers.Tests;

/// <summary>References a test adds to the SDK's reference pack; each test names its own.</summary>
[System.Flags]
public enum ExtraReferences
{
    None = 0,
    TmdsLibC = 1,
    AspNetCore = 2,
}

/// <summary>
/// A code fix test against the SDK's own reference pack and the latest C#; Tmds.LibC and ASP.NET Core only
/// when the test names them, so every other test shows the rule in a project that references neither
/// (a P/Invoke declared by the project itself must be recognised without Tmds.LibC).
/// </summary>
public sealed class KillSafeTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public KillSafeTest(ExtraReferences extra = ExtraReferences.None)
    {
        // No package to resolve (that would need the network): the SDK's own reference pack instead.
        ReferenceAssemblies = new ReferenceAssemblies(TestReferences.TargetFramework);
        TestState.AdditionalReferences.AddRange(TestReferences.NetCore);
        if ((extra & ExtraReferences.TmdsLibC) != 0)
            TestState.AdditionalReferences.Add(TestReferences.TmdsLibC);
        if ((extra & ExtraReferences.AspNetCore) != 0)
            TestState.AdditionalReferences.AddRange(TestReferences.AspNetCore);
    }

    public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

    public bool AllowUnsafe { get; set; } = true;

    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion);

    protected override CompilationOptions CreateCompilationOptions() =>
        ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithAllowUnsafe(AllowUnsafe);
}

/// <summary>Short forms for the common cases.</summary>
public static class Verify<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new DiagnosticResult(descriptor);

    /// <summary>The analyzer reports exactly <paramref name="expected"/> (nothing when empty).</summary>
    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) => AnalyzerAsync(source, ExtraReferences.None, expected);

    public static Task AnalyzerAsync(string source, ExtraReferences extra, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<TAnalyzer, TCodeFix>(extra) { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The fix turns <paramref name="source"/> into <paramref name="fixedSource"/>, which compiles; Fix All is checked too.</summary>
    public static Task CodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected) =>
        CodeFixAsync(source, fixedSource, OutputKind.DynamicallyLinkedLibrary, ExtraReferences.None, expected);

    public static Task CodeFixAsync(string source, string fixedSource, ExtraReferences extra, params DiagnosticResult[] expected) =>
        CodeFixAsync(source, fixedSource, OutputKind.DynamicallyLinkedLibrary, extra, expected);

    /// <summary>As above, for a program (top-level statements need an executable).</summary>
    public static Task CodeFixAsync(string source, string fixedSource, OutputKind outputKind, params DiagnosticResult[] expected) =>
        CodeFixAsync(source, fixedSource, outputKind, ExtraReferences.None, expected);

    public static Task CodeFixAsync(string source, string fixedSource, OutputKind outputKind, ExtraReferences extra, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<TAnalyzer, TCodeFix>(extra) { TestCode = source, FixedCode = fixedSource };
        test.TestState.OutputKind = outputKind;
        test.FixedState.OutputKind = outputKind;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }
}
