using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests;

/// <summary>Users declare their own cleanup helpers in a .globalconfig (docs/configuration.md).</summary>
public class ConfigurationTests
{
    private const string Source = Rules.KS1001Tests.SysVNative + """

namespace MyCo
{
    public static class Ipc
    {
        // Calls into a library the analyzer cannot see through.
        public static void RemoveSegment(int id) => Library.Release(id);
    }
    static class Library { public static void Release(int id) { } }
}
class Store
{
    static void M()
    {
        int id = {|#0:Native.shmget(0, 4096, 0x380)|};
        MyCo.Ipc.RemoveSegment(id);
    }
}
""";

    private static Task RunAsync(string? globalConfig, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<SysVObjectNeverRemovedAnalyzer, EmptyCodeFixProvider> { TestCode = globalConfig is null ? Source : Source.Replace("{|#0:", "").Replace("|}", "") };
        if (globalConfig is not null)
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + globalConfig));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task Without_configuration_the_wrapper_is_not_a_removal() =>
        RunAsync(null, new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    [Fact]
    public Task A_cleanup_method_for_all_rules_counts_as_IPC_RMID() =>
        RunAsync("killsafe.cleanup_methods = M:MyCo.Ipc.RemoveSegment(System.Int32)\n");

    [Fact]
    public Task A_cleanup_method_for_one_rule_counts_for_that_rule() =>
        RunAsync("killsafe.KS1001.cleanup_methods = M:Other.Thing(System.String), M:MyCo.Ipc.RemoveSegment(System.Int32)\n");

    [Fact]
    public Task A_cleanup_method_for_another_rule_does_not_count() =>
        RunAsync("killsafe.KS1002.cleanup_methods = M:MyCo.Ipc.RemoveSegment(System.Int32)\n",
            new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithSpan(25, 18, 25, 47).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));
}
