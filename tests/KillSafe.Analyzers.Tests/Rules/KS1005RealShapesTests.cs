using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS1005 = Verify<WindowsOnlyNamedObjectAnalyzer, WindowsOnlyMemberCodeFix>;

/// <summary>KS1005 on the shapes real code has (docs/accuracy.md): guards written as the project's own helpers, in callers, or as a catch.</summary>
public class KS1005RealShapesTests
{
    private static DiagnosticResult Expected(int marker, string api) =>
        VerifyKS1005.Diagnostic(WindowsOnlyNamedObjectAnalyzer.Rule).WithLocation(marker).WithArguments(api);

    [Fact]
    public Task The_projects_own_platform_helper_is_a_guard() => VerifyKS1005.AnalyzerAsync("""
        using System;
        using System.IO.MemoryMappedFiles;
        using System.Runtime.InteropServices;
        using System.Runtime.Versioning;
        using System.Threading;
        static class PlatformDetection
        {
            [SupportedOSPlatformGuard("windows")]
            public static bool IsWindows() => OperatingSystem.IsWindows();
            public static bool OnWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            public static bool Windows()
            {
                return OperatingSystem.IsWindows();
            }
        }
        class Address
        {
            string? ReadShared(string name)
            {
                if (!PlatformDetection.IsWindows())
                    return null;
                using var map = MemoryMappedFile.OpenExisting("bus-" + name);
                return "found";
            }
            void Signal() { if (PlatformDetection.OnWindows) new EventWaitHandle(false, EventResetMode.ManualReset, "ready").Set(); }
            void Count() { if (PlatformDetection.Windows()) new Semaphore(0, 1, "jobs").Dispose(); }
            void NotAGuard() { if (Environment.Is64BitProcess) {|#0:new Semaphore(0, 1, "jobs")|}.Dispose(); }
        }
        """, Expected(0, "new Semaphore"));

    [Fact]
    public Task A_creating_member_that_only_guarded_callers_reach_is_quiet() => VerifyKS1005.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;
        interface ISignal { void Raise(); }
        sealed class NamedSignal : ISignal
        {
            private readonly EventWaitHandle _handle;
            internal NamedSignal(string name) { _handle = new EventWaitHandle(false, EventResetMode.AutoReset, "signal-" + name); }
            public void Raise() => _handle.Set();
        }
        sealed class FileSignal : ISignal { public void Raise() { } }
        sealed class Unguarded
        {
            internal Unguarded(string name) { {|#0:new Semaphore(0, 1, "jobs-" + name)|}.Dispose(); }
        }
        static class Signals
        {
            public static ISignal For(string name) =>
                RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new NamedSignal(name) : new FileSignal();
            public static object Other(string name) => new Unguarded(name);
        }
        """, Expected(0, "new Semaphore"));

    [Fact]
    public Task A_caught_PlatformNotSupportedException_means_the_failure_is_expected() => VerifyKS1005.AnalyzerAsync("""
        using System;
        using System.Threading;
        class Optional
        {
            Semaphore? TryNamed(string name)
            {
                try { return new Semaphore(0, 1, name); }
                catch (PlatformNotSupportedException) { return null; }
            }
            Semaphore? Anything(string name)
            {
                try { return new Semaphore(0, 1, name); }
                catch { return null; }
            }
            Semaphore? Other(string name)
            {
                try { return {|#0:new Semaphore(0, 1, "jobs-" + name)|}; }
                catch (UnauthorizedAccessException) { return null; }
            }
        }
        """, Expected(0, "new Semaphore"));

    [Fact]
    public Task A_named_map_of_a_file_throws_too_and_an_unnamed_one_does_not() => VerifyKS1005.AnalyzerAsync("""
        using System.IO;
        using System.IO.MemoryMappedFiles;
        class Maps
        {
            void Named(string path) => {|#0:MemoryMappedFile.CreateFromFile(path, FileMode.Open, "shared-map")|}.Dispose();
            void Unnamed(string path) => MemoryMappedFile.CreateFromFile(path, FileMode.Open, null).Dispose();
            void Plain(string path) => MemoryMappedFile.CreateFromFile(path).Dispose();
        }
        """, Expected(0, "MemoryMappedFile.CreateFromFile"));
}
