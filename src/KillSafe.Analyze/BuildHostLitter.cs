using System.Text.RegularExpressions;
using KillSafe.Verification;

namespace KillSafe.Analyze;

/// <summary>
/// MSBuildWorkspace's build host talks to its client over a Unix socket named by a GUID directly in /tmp
/// (not $TMPDIR), and leaves the file behind when it exits (docs/linux-facts.md, "The .NET runtime's own
/// litter"). killsafe analyze must not add to that: it notes the socket files of that shape before it loads a
/// solution, and afterwards removes the new ones that KillSafe's own sweep proves stale (nothing bound to the
/// file, connect() refused), never a live one and never one that was there before.
/// </summary>
internal sealed partial class BuildHostLitter
{
    private const string Folder = "/tmp";
    private readonly HashSet<FileIdentity> _before;

    private BuildHostLitter(HashSet<FileIdentity> before) => _before = before;

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex GuidName();

    public static BuildHostLitter Note() => new(new HashSet<FileIdentity>(Sockets().Select(f => f.Identity)));

    /// <summary>Removes the proven-stale socket files of that shape made since <see cref="Note"/>; returns how many.</summary>
    public int Remove()
    {
        var fresh = Sockets().Where(f => !_before.Contains(f.Identity)).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        if (fresh.Count == 0)
            return 0;
        var options = new SnapshotOptions { Directories = new[] { Folder }, DirectoryDepth = 1 };
        var candidates = Leaks.Inventory(Snapshot.Take(options)).Where(l => l.Kind == LeftoverKind.UnixSocketFile && fresh.Contains(l.Identity));
        return Sweeper.Sweep(candidates, new SweepOptions { Apply = true, Kinds = new HashSet<LeftoverKind> { LeftoverKind.UnixSocketFile } }).Count(a => a.Removed);
    }

    private static IEnumerable<FileEntry> Sockets()
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(Folder).Where(p => GuidName().IsMatch(Path.GetFileName(p))).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var entry in entries)
        {
            if (UnixFile.Stat(entry) is { Kind: UnixFileKind.Socket } file)
                yield return file;
        }
    }
}
