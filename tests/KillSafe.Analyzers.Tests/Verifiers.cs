using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using KillSafe.Tests.Shared;

namespace KillSafe.Analyzers.Tests
{
    /// <summary>
    /// A code fix test against the SDK's own reference pack and the latest C#; Tmds.LibC and ASP.NET Core only
    /// when the test asks for them (a rule must also work in a project that references neither).
    /// </summary>
    public sealed class KillSafeTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TCodeFix : CodeFixProvider, new()
    {
        public KillSafeTest(bool aspNetCore = false, bool tmdsLibC = true)
        {
            // No package to resolve (that would need the network): the SDK's own reference pack instead.
            ReferenceAssemblies = new ReferenceAssemblies(TestReferences.TargetFramework);
            TestState.AdditionalReferences.AddRange(TestReferences.NetCore);
            if (tmdsLibC)
                TestState.AdditionalReferences.Add(TestReferences.TmdsLibC);
            if (aspNetCore)
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
        public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) => AnalyzerAsync(source, aspNetCore: false, expected);

        public static Task AnalyzerAsync(string source, bool aspNetCore, params DiagnosticResult[] expected)
        {
            var test = new KillSafeTest<TAnalyzer, TCodeFix>(aspNetCore) { TestCode = source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync(CancellationToken.None);
        }

        /// <summary>The fix turns <paramref name="source"/> into <paramref name="fixedSource"/>, which compiles; Fix All is checked too.</summary>
        public static Task CodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected) =>
            CodeFixAsync(source, fixedSource, OutputKind.DynamicallyLinkedLibrary, expected);

        /// <summary>As above, for a program (top-level statements need an executable).</summary>
        public static Task CodeFixAsync(string source, string fixedSource, OutputKind outputKind, params DiagnosticResult[] expected)
        {
            var test = new KillSafeTest<TAnalyzer, TCodeFix> { TestCode = source, FixedCode = fixedSource };
            test.TestState.OutputKind = outputKind;
            test.FixedState.OutputKind = outputKind;
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync(CancellationToken.None);
        }
    }
}
