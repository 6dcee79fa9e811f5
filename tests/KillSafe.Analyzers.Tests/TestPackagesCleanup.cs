using System.Runtime.CompilerServices;

namespace KillSafe.Analyzers.Tests;

/// <summary>
/// Microsoft.CodeAnalysis.Testing takes a lock file in <c>$TMPDIR/test-packages</c> (its package cache) even
/// when no package is resolved, as ours never are. If this run created that folder, and it holds nothing
/// but the lock, remove it when the test host exits, so that a test run leaves /tmp as it found it.
/// </summary>
internal static class TestPackagesCleanup
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "test-packages");

    [ModuleInitializer]
    internal static void Register()
    {
        if (Directory.Exists(Folder))
            return; // somebody else's cache: leave it alone
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                if (Directory.Exists(Folder) && Directory.EnumerateFileSystemEntries(Folder).All(e => Path.GetFileName(e) == ".lock"))
                    Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // another process holds it now: it is theirs
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
    }
}
