using KillSafe.RuleDocs;

// dotnet run --project eng/KillSafe.RuleDocs [-- -check] [-- -root DIR]
var check = false;
string? root = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-check" or "--check":
            check = true;
            break;
        case "-root" or "--root" when i + 1 < args.Length:
            root = args[++i];
            break;
        default:
            Console.Error.WriteLine($"usage: dotnet run --project eng/KillSafe.RuleDocs [-- --check] [--root DIR]  (unknown argument '{args[i]}')");
            return 2;
    }
}
root ??= FindRoot(Directory.GetCurrentDirectory());
if (root is null || !File.Exists(Path.Combine(root, "Analyzers.sln")))
{
    Console.Error.WriteLine("run it inside the repository, or give --root (the folder of Analyzers.sln)");
    return 2;
}

try
{
    var stale = RuleDocsGenerator.OutOfDate(root);
    if (check)
    {
        foreach (var file in stale)
            Console.Error.WriteLine($"out of date: {file.Path}");
        if (stale.Count > 0)
            Console.Error.WriteLine("run `dotnet run --project eng/KillSafe.RuleDocs` and commit what it writes");
        return stale.Count == 0 ? 0 : 1;
    }
    foreach (var file in stale)
    {
        var path = Path.Combine(root, file.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, file.Content);
        Console.WriteLine($"wrote {file.Path}");
    }
    if (stale.Count == 0)
        Console.WriteLine("every generated file is up to date");
    return 0;
}
catch (GeneratorException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

static string? FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
            return dir.FullName;
    }
    return null;
}
