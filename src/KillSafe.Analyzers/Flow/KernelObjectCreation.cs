using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// A call that creates a kernel-persistent IPC object (catalog <see cref="ApiRole.Create"/> rows of the SysV
/// and POSIX kinds), with the identities a removal may use to name the same object.
/// </summary>
internal sealed class KernelObjectCreation
{
    private KernelObjectCreation(IOperation operation, ApiEntry row, IReadOnlyList<ResourceIdentity> identities, IOperation? nameExpression, ISymbol? idSymbol)
    {
        Operation = operation;
        Row = row;
        Identities = identities;
        NameExpression = nameExpression;
        IdSymbol = idSymbol;
    }

    public IOperation Operation { get; }

    public ApiEntry Row { get; }

    public ResourceKind Kind => Row.Kind;

    /// <summary>Every identity a removal may use: the name or path, or for SysV the returned id and the variable that keeps it.</summary>
    public IReadOnlyList<ResourceIdentity> Identities { get; }

    /// <summary>The name or path argument (POSIX, /dev/shm files); null for SysV.</summary>
    public IOperation? NameExpression { get; }

    /// <summary>For SysV: the local, field or property the returned id is stored in, when there is one.</summary>
    public ISymbol? IdSymbol { get; }

    /// <summary>How to show the object in a message.</summary>
    public string Display =>
        NameExpression is not null
            ? (NameExpression.ConstantValue is { HasValue: true, Value: string s } ? s : NameExpression.Syntax.ToString())
            : IdSymbol?.Name ?? Operation.Syntax.ToString();

    /// <summary>Recognises <paramref name="operation"/> (an invocation or object creation) as a creating call, or returns null.</summary>
    public static KernelObjectCreation? TryCreate(IOperation operation, IdentityResolver resolver)
    {
        var (method, arguments) = CallSite.Of(operation);
        if (method is null || resolver.Catalog.Match(method) is not { Role: ApiRole.Create } row || !IsKernelPersistent(row.Kind))
            return null;

        if (!Creates(row, arguments, resolver.Catalog))
            return null; // attaching to an existing object, or flags that cannot be read: not a creation

        if (row.IdentityArgument == ApiEntry.ReturnIdentity)
        {
            // The call itself (what a single-assignment variable resolves to) and the variable that keeps the id.
            var identities = new List<ResourceIdentity> { resolver.Resolve(operation) };
            var target = StoredIn(operation);
            if (target is not null)
                identities.Add(ResourceIdentity.FromSymbol(target, target.Name));
            // Stored in a member of another value (info.shmid, where info is a ref parameter): that chain names it.
            var reference = StoredInReference(operation);
            var owner = (reference as IMemberReferenceOperation)?.Instance;
            if (reference is not null && owner is not null && IdentityResolver.Strip(owner) is not IInstanceReferenceOperation)
                identities.Add(resolver.Resolve(reference));
            return new KernelObjectCreation(operation, row, identities.Where(i => !i.IsUnknown).ToList(), null, target);
        }

        if (row.IdentityArgument < 0 || row.IdentityArgument >= arguments.Length)
            return null;
        var name = IdentityResolver.ArgumentFor(arguments, row.IdentityArgument);
        // A managed file call is POSIX shared memory only when the path is under /dev/shm.
        if (row.Shape == ApiShape.Managed && !PathRoot.StartsAt(name, resolver, PathRoot.Directory(ResourceCatalog.DevShmPrefix)))
            return null;
        var identity = resolver.Resolve(name);
        var named = identity.IsUnknown ? new List<ResourceIdentity>() : new List<ResourceIdentity> { identity };
        // glibc strips one leading '/' from POSIX IPC names: "x" and "/x" are one object (docs/linux-facts.md).
        if (row.Shape == ApiShape.Native && identity.Constant is { Length: > 0 } constant)
            named.Add(ResourceIdentity.FromConstant(constant[0] == '/' ? constant.Substring(1) : "/" + constant));
        return new KernelObjectCreation(operation, row, named, name, null);
    }

    public static bool IsKernelPersistent(ResourceKind kind) => kind is ResourceKind.SysVSharedMemory or ResourceKind.SysVSemaphore or ResourceKind.SysVMessageQueue
        or ResourceKind.PosixSemaphore or ResourceKind.PosixSharedMemory or ResourceKind.PosixMessageQueue or ResourceKind.UnixSocketFile;

    /// <summary>
    /// True when a call of <paramref name="row"/> with these arguments acts: a creator with its create flag set
    /// (or IPC_PRIVATE, which always makes a new object), a *ctl with the IPC_RMID command.
    /// </summary>
    public static bool Creates(ApiEntry row, ImmutableArray<IArgumentOperation> arguments, CatalogView catalog)
    {
        if (row.KeyArgument >= 0 && row.KeyArgument < arguments.Length
            && ConstantFolder.TryFold(IdentityResolver.ArgumentFor(arguments, row.KeyArgument), catalog, out var key) && key == ResourceCatalog.NativeConstants["IPC_PRIVATE"])
            return true;
        return HasRequiredFlag(row, arguments, catalog);
    }

    /// <summary>The flags or command argument carries <see cref="ApiEntry.RequiredFlag"/>; true when the row has none.</summary>
    public static bool HasRequiredFlag(ApiEntry row, ImmutableArray<IArgumentOperation> arguments, CatalogView catalog)
    {
        if (row.FlagsArgument < 0 || row.RequiredFlag is null)
            return true;
        if (row.FlagsArgument >= arguments.Length)
            return false;
        var argument = IdentityResolver.ArgumentFor(arguments, row.FlagsArgument);
        int colon = row.RequiredFlag.IndexOf(':');
        if (colon < 0 && ResourceCatalog.NativeConstants[row.RequiredFlag] != 0)
            return ConstantFolder.MayHave(argument, ResourceCatalog.NativeConstants[row.RequiredFlag], catalog); // flags built in steps too
        if (!ConstantFolder.TryFold(argument, catalog, out var flags))
            return false;
        if (colon > 0)
        {
            // An enum argument: one of the listed members (FileMode.Create, ...).
            var enumType = row.RequiredFlag.Substring(0, colon);
            return row.RequiredFlag.Substring(colon + 1).Split(',').Any(member => catalog.EnumValue(enumType, member) == flags);
        }

        var required = ResourceCatalog.NativeConstants[row.RequiredFlag];
        return required == 0 ? flags == 0 : (flags & required) == required; // IPC_RMID is the command 0
    }

    /// <summary>The field or property reference an assignment stores <paramref name="value"/> into, or null.</summary>
    internal static IOperation? StoredInReference(IOperation value)
    {
        var parent = value.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
            parent = parent.Parent;
        return parent is ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation } assignment ? assignment.Target : null;
    }

    /// <summary>The local, field or property that <paramref name="value"/> is stored in (<c>_id = shmget(...)</c>).</summary>
    internal static ISymbol? StoredIn(IOperation value)
    {
        var parent = value.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation || parent is ICoalesceOperation coalesce && IdentityResolver.IsThrow(coalesce.WhenNull))
            parent = parent.Parent;
        return parent switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } => local.Local,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } => field.Field,
            ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } => property.Property,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            IFieldInitializerOperation { InitializedFields.Length: 1 } initializer => initializer.InitializedFields[0],
            _ => null,
        };
    }
}
