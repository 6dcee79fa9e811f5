using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>KS5001 on the shapes real code has (docs/accuracy.md): children that are waited for or meant to run on, and programs that are not services.</summary>
public class KS5001RealShapesTests
{
    private static Task RunAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<OrphanedChildProcessAnalyzer, EmptyCodeFixProvider> { TestCode = source };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult Expected(int marker) =>
        new DiagnosticResult(OrphanedChildProcessAnalyzer.Rule).WithLocation(marker).WithArguments("Process.Start");

    // A program that runs until it is stopped.
    private const string Service = """
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        partial class Service
        {
            static void Main()
            {
                while (true)
                    Thread.Sleep(1000);
            }
        """;

    [Fact]
    public Task A_child_awaited_through_its_Exited_event_is_waited_for() => RunAsync(Service + """
            async Task<int> Run(string command)
            {
                using var process = new Process { StartInfo = new ProcessStartInfo(command) };
                process.EnableRaisingEvents = true;
                var exited = new TaskCompletionSource();
                process.Exited += (_, _) => exited.TrySetResult();
                process.Start();
                await exited.Task;
                return process.ExitCode;
            }
        }
        """);

    [Fact]
    public Task A_child_whose_output_is_read_to_the_end_has_ended() => RunAsync(Service + """
            string List(string folder)
            {
                using var finder = Process.Start(new ProcessStartInfo("find", folder) { RedirectStandardOutput = true })!;
                return finder.StandardOutput.ReadToEnd();
            }

            int Count(string folder)
            {
                using var finder = Process.Start(new ProcessStartInfo("find", folder) { RedirectStandardOutput = true })!;
                int lines = 0;
                while (finder.StandardOutput.ReadLine() is not null)
                    lines++;
                return lines;
            }

            void Detached(string command)
            {
                // A launcher: the user's program runs in a session of its own.
                Process.Start("/bin/sh", new[] { "-c", $"setsid -f {command}" });
            }
        }
        """);

    [Fact]
    public Task A_child_whose_output_is_read_once_is_not_waited_for() => RunAsync(Service + """
            string First(string folder)
            {
                var finder = {|#0:Process.Start(new ProcessStartInfo("find", folder) { RedirectStandardOutput = true })|}!;
                return finder.StandardOutput.ReadLine() ?? string.Empty;
            }
        }
        """, Expected(0));

    [Fact]
    public Task A_child_started_with_a_throw_on_null_and_awaited_is_waited_for() => RunAsync(Service + """
            async Task Run(ProcessStartInfo info, CancellationToken token)
            {
                var p = Process.Start(info) ?? throw new InvalidOperationException("no process");
                await p.WaitForExitAsync(token).ConfigureAwait(false);
            }
        }
        """);

    [Fact]
    public Task A_child_kept_in_a_field_that_Dispose_kills_and_clears_is_reaped() => RunAsync(Service + """
            private Process? _shell;
            void Open() { _shell = Process.Start("pwsh"); }
            public void Dispose()
            {
                if (_shell is null) return;
                if (!_shell.WaitForExit(5000))
                    _shell.Kill();
                _shell = null;
            }
        }
        """);

    [Fact]
    public Task A_child_returned_after_a_try_is_handed_over() => RunAsync(Service + """
            Process? Launch(string file)
            {
                Process? started = null;
                try
                {
                    started = Process.Start(file);
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    Console.Error.WriteLine("cannot start " + file);
                }
                return started;
            }
        }
        """);

    [Fact]
    public Task A_browser_or_a_detached_command_is_meant_to_outlive_the_program() => RunAsync(Service + """
            void Browse(string url) => Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
            void Edit(string file)
            {
                var info = new ProcessStartInfo("xdg-open", file);
                info.UseShellExecute = true;
                Process.Start(info);
            }
            // The updater replaces this program: it is detached on purpose and must outlive it.
            void Update() => Process.Start("updater");
            void Leaked() => {|#0:Process.Start("helper")|};
        }
        """, Expected(0));

    [Fact]
    public Task A_loop_that_returns_makes_no_service_and_a_polling_loop_does() => Task.WhenAll(
        RunAsync("""
            using System;
            using System.Diagnostics;
            class Builder
            {
                static void Main()
                {
                    var answer = Ask("version?");
                    Process.Start("packager", answer);
                }
                static string Ask(string prompt)
                {
                    while (true)
                    {
                        Console.Write(prompt);
                        var line = Console.ReadLine();
                        if (!string.IsNullOrWhiteSpace(line))
                            return line;
                    }
                }
            }
            """),
        RunAsync("""
            using System.Diagnostics;
            using System.IO;
            using System.Threading;
            class Nightly
            {
                static void Main()
                {
                    {|#0:Process.Start("indexer")|};
                    while (!File.Exists("/run/nightly/stop"))
                        Thread.Sleep(1000);
                }
            }
            """, Expected(0)),
        RunAsync("""
            using System.Diagnostics;
            using System.Threading;
            class Retry
            {
                static void Main()
                {
                    Process.Start("check");
                    int attempts = 0;
                    while (attempts < 5) { attempts++; Thread.Sleep(100); }
                }
            }
            """));
}
