using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>The FileOptions argument of a file open (<c>new FileStream(..., FileOptions.DeleteOnClose)</c>), read through constant folding.</summary>
internal static class FileOptionsArgument
{
    /// <summary>Opened with FileOptions.DeleteOnClose: the runtime deletes the file when the stream closes (a normal exit, never SIGKILL).</summary>
    public static bool DeletesOnClose(ImmutableArray<IArgumentOperation> arguments, CatalogView catalog) =>
        catalog.EnumValue("System.IO.FileOptions", "DeleteOnClose") is { } deleteOnClose
        && arguments.Any(a => a.Parameter?.Type.Name == "FileOptions" && ConstantFolder.TryFold(a.Value, catalog, out var options) && (options & deleteOnClose) != 0);
}
