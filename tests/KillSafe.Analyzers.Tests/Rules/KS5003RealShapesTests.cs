using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS5003 = Verify<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>;

/// <summary>
/// KS5003 on the shapes real code has (docs/accuracy.md): cleanups the rule missed, which made most of its
/// wrong findings, and leaks it did not see. Each is written here in its own words.
/// </summary>
public class KS5003RealShapesTests
{
    private static DiagnosticResult Expected(int marker, string api, string path) =>
        VerifyKS5003.Diagnostic(TemporaryFileNeverDeletedAnalyzer.Rule).WithLocation(marker).WithArguments(api, path);

    private static Task Run(DiagnosticResult[] expected, params (string Name, string Source)[] sources)
    {
        var test = new KillSafeTest<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>();
        foreach (var source in sources)
            test.TestState.Sources.Add(source);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task A_file_in_a_run_folder_deleted_recursively_in_finally_is_cleaned_up() => VerifyKS5003.AnalyzerAsync("""
        using System;
        using System.IO;
        class Check
        {
            void Run()
            {
                var folder = Path.Combine(Path.GetTempPath(), "check_" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                try
                {
                    File.WriteAllText(Path.Combine(folder, "input.txt"), "x");
                    var report = Path.Combine(folder, "sub", "report.json");
                    File.WriteAllText(report, "{}");
                }
                finally
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            void ThroughInfo()
            {
                var folder = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString());
                try { File.WriteAllText($"{folder}/a.txt", "x"); }
                finally { new DirectoryInfo(folder).Delete(true); }
            }
        }
        """);

    [Fact]
    public Task A_fixture_folder_deleted_in_Dispose_or_a_teardown_method_is_cleaned_up() => VerifyKS5003.AnalyzerAsync("""
        using System;
        using System.IO;
        sealed class DisposedFixture : IDisposable
        {
            private readonly string _folder = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString());
            public void Writes() => File.WriteAllBytes(Path.Combine(_folder, "small.bin"), new byte[1]);
            public void Dispose() => Directory.Delete(_folder, true);
        }
        sealed class TornDownFixture
        {
            private string _folder = "";
            public void SetUp()
            {
                _folder = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString());
                Directory.CreateDirectory(_folder);
            }
            public void Writes()
            {
                var path = Path.Combine(_folder, "db.sqlite");
                File.WriteAllText(path, "");
            }
            public void TearDown() { if (Directory.Exists(_folder)) Directory.Delete(_folder, true); }
        }
        """);

    [Fact]
    public Task A_non_recursive_or_unrelated_folder_delete_does_not_clean_up() => VerifyKS5003.AnalyzerAsync("""
        using System;
        using System.IO;
        class Check
        {
            void Run(string other)
            {
                var folder = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString());
                try { {|#0:File.WriteAllText(Path.Combine(folder, "a.txt"), "x")|}; }
                finally { Directory.Delete(folder); }
                var second = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString());
                try { {|#1:File.WriteAllText(Path.Combine(second, "b.txt"), "x")|}; }
                finally { Directory.Delete(other, true); }
            }
        }
        """,
        Expected(0, "File.WriteAllText", @"Path.Combine(folder, ""a.txt"")"), Expected(1, "File.WriteAllText", @"Path.Combine(second, ""b.txt"")"));

    [Fact]
    public Task A_temporary_file_moved_away_is_handed_over() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Scripts
        {
            void Renamed()
            {
                var tmp = Path.GetTempFileName();
                var script = tmp + ".ps1";
                File.Move(tmp, script);
                try { File.WriteAllText(script, "exit 0"); } finally { File.Delete(script); }
            }
            string Getter
            {
                get
                {
                    var tmp = Path.GetTempFileName();
                    var named = Path.ChangeExtension(tmp, ".ps1");
                    new FileInfo(tmp).MoveTo(named);
                    return named;
                }
            }
        }
        """);

    [Fact]
    public Task A_name_that_is_never_kept_leaks_every_time() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Lost
        {
            void Discarded() { {|#0:Path.GetTempFileName()|}; }
            string Suffixed() => {|#1:Path.GetTempFileName()|} + ".hbs";
            string Changed() => Path.ChangeExtension({|#2:Path.GetTempFileName()|}, "exe");
            string NameOnly() => Path.Combine(Path.GetTempPath(), Path.GetFileNameWithoutExtension({|#3:Path.GetTempFileName()|}));
            object Handle() => File.OpenHandle({|#4:Path.GetTempFileName()|});
            System.Threading.Tasks.Task Written() => File.WriteAllTextAsync({|#5:Path.GetTempFileName()|}, "test");
        }
        """,
        Expected(0, "Path.GetTempFileName", "Path.GetTempFileName()"), Expected(1, "Path.GetTempFileName", "Path.GetTempFileName()"),
        Expected(2, "Path.GetTempFileName", "Path.GetTempFileName()"), Expected(3, "Path.GetTempFileName", "Path.GetTempFileName()"),
        Expected(4, "Path.GetTempFileName", "Path.GetTempFileName()"), Expected(5, "Path.GetTempFileName", "Path.GetTempFileName()"));

    [Fact]
    public Task A_lost_name_stays_lost_whatever_happens_to_the_name_made_from_it() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Download
        {
            void Fetch(Helper helper)
            {
                // The folder is given to the program's own code and deleted: the .tmp file is another name.
                string folder = Path.Combine(Path.GetTempPath(), Path.GetFileNameWithoutExtension({|#0:Path.GetTempFileName()|}));
                helper.DownloadInto(folder);
                Directory.Delete(folder, recursive: true);
            }
        }
        class Helper { public void DownloadInto(string folder) { } }
        """,
        Expected(0, "Path.GetTempFileName", "Path.GetTempFileName()"));

    [Fact]
    public Task A_name_returned_deleted_or_given_to_the_programs_own_code_is_not_lost() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Kept
        {
            string _path = Path.GetTempFileName();
            string Returned() => Path.GetTempFileName();
            void Deleted() => File.Delete(Path.GetTempFileName());
            void Given() => Owner.Take(Path.GetTempFileName());
            void Moved(string to) => File.Move(Path.GetTempFileName(), to);
            void KeptByFileInfo()
            {
                var file = new FileInfo(Path.GetTempFileName());
                try { File.WriteAllText(file.FullName, "x"); } finally { file.Delete(); }
            }
            string Respelled() => Path.GetFullPath(Path.GetTempFileName());
            void KeptByTheStream()
            {
                var stream = File.Create(Path.GetTempFileName());
                stream.Close();
                File.Delete(stream.Name);
            }
        }
        static class Owner { public static void Take(string path) { } }
        """);

    [Fact]
    public Task Asynchronous_writers_create_files_too() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        using System.Threading.Tasks;
        class Async
        {
            async Task Write()
            {
                var config = Path.Combine(Path.GetTempPath(), "samba-test", "smb.conf");
                await {|#0:File.WriteAllTextAsync(config, "[global]")|};
                await {|#1:File.AppendAllLinesAsync(Path.GetTempPath() + "log.txt", new[] { "a" })|};
            }
        }
        """,
        Expected(0, "File.WriteAllTextAsync", "config"), Expected(1, "File.AppendAllLinesAsync", @"Path.GetTempPath() + ""log.txt"""));

    [Fact]
    public Task A_temporary_root_kept_in_fields_is_followed() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Images
        {
            private static readonly string Root = Path.Combine(Path.GetTempPath(), "image-tests");
            private readonly string _folder;
            Images() { _folder = Path.Combine(Path.GetTempPath(), "plugin-images"); }
            void Logo() => {|#0:File.WriteAllBytes(Path.Combine(_folder, "logo.png"), new byte[1])|};
            void Meta() => {|#1:File.WriteAllText(Path.Combine(Root, "meta.json"), "{}")|};
        }
        """,
        Expected(0, "File.WriteAllBytes", @"Path.Combine(_folder, ""logo.png"")"), Expected(1, "File.WriteAllText", @"Path.Combine(Root, ""meta.json"")"));

    [Fact]
    public Task A_helper_in_another_file_is_followed_both_ways() => Run(
        new[] { Expected(0, "Path.GetTempFileName", "read") },
        ("Work.cs", """
            using System.IO;
            class Work
            {
                void Deleted()
                {
                    var tmp = Path.GetTempFileName();
                    Files.Remove(tmp);
                }
                void OnlyRead()
                {
                    var read = {|#0:Path.GetTempFileName()|};
                    Files.Show(read);
                }
            }
            """),
        ("Files.cs", """
            using System;
            using System.IO;
            static class Files
            {
                public static void Remove(string path) { if (File.Exists(path)) File.Delete(path); }
                public static void Show(string path) => Console.WriteLine(File.ReadAllText(path));
            }
            """));

    [Fact]
    public Task A_delete_through_an_interface_wrapper_or_another_library_may_clean_up()
    {
        var test = new KillSafeTest<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>
        {
            TestCode = """
                using System.IO;
                interface ISystemIO { void FileDelete(string path); }
                class Uses
                {
                    private readonly ISystemIO _io;
                    private readonly Under.Test.Helper _helper = new Under.Test.Helper();
                    Uses(ISystemIO io) { _io = io; }
                    void Wrapped()
                    {
                        var tmp = Path.GetTempFileName();
                        try { File.WriteAllText(tmp, "x"); } finally { _io.FileDelete(tmp); }
                    }
                    void CodeUnderTest()
                    {
                        var hits = Path.GetTempFileName();
                        _helper.DeleteHitsFile(hits);
                    }
                }
                """,
        };
        test.TestState.AdditionalProjects["UnderTest"].AdditionalReferences.AddRange(KillSafe.Tests.Shared.TestReferences.NetCore);
        test.TestState.AdditionalProjects["UnderTest"].Sources.Add(("Helper.cs", "namespace Under.Test { public class Helper { public void DeleteHitsFile(string path) => System.IO.File.Delete(path); } }"));
        test.TestState.AdditionalProjectReferences.Add("UnderTest");
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task A_possible_cleanup_in_another_member_says_nothing_about_a_fresh_name_kept_in_a_local() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        interface ILog { void Write(string text); }
        class Report
        {
            private readonly ILog _log;
            private string _shared = Path.Combine(Path.GetTempPath(), "report.txt");
            Report(ILog log) { _log = log; }
            void Diff(string[] lines)
            {
                var kept = Path.GetTempFileName();          // handed to code that may delete it: quiet
                File.WriteAllLines(kept, lines);
                _log.Write($"see {kept}");
            }
            void Scratch(string[] lines)
            {
                var scratch = {|#0:Path.GetTempFileName()|}; // only this body can name it, and it never deletes it
                File.WriteAllLines(scratch, lines);
            }
            void Shared() => File.WriteAllText(_shared, "x"); // a fixed name: another member's unknown call may delete it
            void Forget(string any) => _log.Write(any);
        }
        """, Expected(0, "Path.GetTempFileName", "scratch"));

    [Fact]
    public Task A_folder_kept_through_a_tuple_deconstruction_is_followed() => VerifyKS5003.AnalyzerAsync("""
        using System.IO;
        class Fixture
        {
            private static readonly string Root = Path.Combine(Path.GetTempPath(), "fixture-data");
            private readonly string _run = string.Empty;
            private readonly string _work = string.Empty;
            private readonly string _kept = string.Empty;

            Fixture()
            {
                (_run, _work) = Folders("work-" + Path.GetRandomFileName());
                var (kept, _) = (Path.Combine(Directory.GetCurrentDirectory(), "out"), 0);
                _kept = kept;
                Directory.CreateDirectory(_work);
            }

            void Writes()
            {
                {|#0:File.WriteAllText(Path.Combine(_work, "meta.json"), "{}")|}; // under the temp folder, never deleted
                File.WriteAllText(Path.Combine(_kept, "report.txt"), "x");          // not under the temp folder
            }

            private (string Run, string Work) Folders(string name)
            {
                var run = Path.Combine(Root, "run-" + Path.GetRandomFileName());
                var work = Path.Combine(run, name);
                return (run, work);
            }
        }
        """, Expected(0, "File.WriteAllText", "Path.Combine(_work, \"meta.json\")"));

    [Fact]
    public async Task A_lost_name_gets_no_fix_that_could_not_compile()
    {
        var test = new KillSafeTest<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>
        {
            TestCode = """
                using System.IO;
                class Lost { string Suffixed() => {|#0:Path.GetTempFileName()|} + ".hbs"; }
                """,
            FixedCode = """
                using System.IO;
                class Lost { string Suffixed() => {|#0:Path.GetTempFileName()|} + ".hbs"; }
                """,
        };
        test.ExpectedDiagnostics.Add(Expected(0, "Path.GetTempFileName", "Path.GetTempFileName()"));
        test.FixedState.ExpectedDiagnostics.Add(Expected(0, "Path.GetTempFileName", "Path.GetTempFileName()"));
        await test.RunAsync(CancellationToken.None);
    }
}
