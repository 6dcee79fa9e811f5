using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Reads integer flags and constants the way C code spells them: literals in any base (<c>0x200</c>,
/// <c>512</c>), named constants, enum members, <c>|</c>, <c>&amp;</c>, <c>+</c>, and the constants of
/// binding libraries that are properties rather than C# constants (<c>LibC.AF_INET</c>), and locals written
/// once (<c>int flags = IPC_CREAT | 0600;</c>). <see cref="MayHave"/> reads a local built in steps
/// (<c>int flags = write ? O_RDWR : 0; flags |= O_CREAT;</c>).
/// </summary>
internal static class ConstantFolder
{
    public static bool TryFold(IOperation? value, CatalogView catalog, out long result) => TryFold(value, catalog, 0, out result);

    /// <summary>
    /// True when the flags <paramref name="value"/> may carry all of <paramref name="required"/>: it folds to a value
    /// that has them, or it is a local of which a write ORs them in (<c>flags |= O_CREAT</c>), or every branch of a
    /// plain write has them. False when nothing says so.
    /// </summary>
    public static bool MayHave(IOperation value, long required, CatalogView catalog)
    {
        if (TryFold(value, catalog, out var folded))
            return (folded & required) == required;
        if (IdentityResolver.Strip(value) is not ILocalReferenceOperation { Local: { } local })
            return false;
        bool plainWrites = false, allPlainHave = true;
        foreach (var write in IdentityResolver.Root(value).DescendantsAndSelf())
        {
            switch (write)
            {
                case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Or, Target: ILocalReferenceOperation target } compound
                    when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    if (TryFold(compound.Value, catalog, out var added) && (added & required) == required)
                        return true;
                    break;
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) && declarator.GetVariableInitializer() is { } initializer:
                    plainWrites = true;
                    allPlainHave &= Branches(initializer.Value).All(b => TryFold(b, catalog, out var v) && (v & required) == required);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    plainWrites = true;
                    allPlainHave &= Branches(assignment.Value).All(b => TryFold(b, catalog, out var v) && (v & required) == required);
                    break;
            }
        }

        return plainWrites && allPlainHave;
    }

    private static IEnumerable<IOperation> Branches(IOperation value) =>
        IdentityResolver.Strip(value) is IConditionalOperation { WhenFalse: { } whenFalse } conditional
            ? Branches(conditional.WhenTrue).Concat(Branches(whenFalse))
            : new[] { value };

    private static bool TryFold(IOperation? value, CatalogView catalog, int depth, out long result)
    {
        result = 0;
        if (value is null || depth > IdentityResolver.MaxDepth)
            return false;
        value = IdentityResolver.Strip(value);
        if (value.ConstantValue.HasValue)
            return TryInteger(value.ConstantValue.Value, out result);

        switch (value)
        {
            case ILocalReferenceOperation local when SingleInitializer(local) is { } initializer:
                return TryFold(initializer, catalog, depth + 1, out result);
            case IPropertyReferenceOperation property when catalog.IsBindingType(property.Property.ContainingType)
                && ResourceCatalog.NativeConstants.TryGetValue(property.Property.Name, out var named):
                result = named;
                return true;
            case IBinaryOperation binary when TryFold(binary.LeftOperand, catalog, depth + 1, out var left) && TryFold(binary.RightOperand, catalog, depth + 1, out var right):
                switch (binary.OperatorKind)
                {
                    case BinaryOperatorKind.Or:
                        result = left | right;
                        return true;
                    case BinaryOperatorKind.And:
                        result = left & right;
                        return true;
                    case BinaryOperatorKind.Add:
                        result = left + right;
                        return true;
                    case BinaryOperatorKind.ExclusiveOr:
                        result = left ^ right;
                        return true;
                    default:
                        return false;
                }

            default:
                return false;
        }
    }

    /// <summary>The initializer of a local that nothing else writes, or null.</summary>
    private static IOperation? SingleInitializer(ILocalReferenceOperation reference)
    {
        IOperation? initializer = null;
        foreach (var operation in IdentityResolver.Root(reference).DescendantsAndSelf())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local):
                    initializer = declarator.GetVariableInitializer()?.Value;
                    break;
                case IAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, reference.Local):
                case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation counted } when SymbolEqualityComparer.Default.Equals(counted.Local, reference.Local):
                case IArgumentOperation { Parameter.RefKind: not RefKind.None, Value: ILocalReferenceOperation passed } when SymbolEqualityComparer.Default.Equals(passed.Local, reference.Local):
                    return null;
            }
        }

        return initializer;
    }

    private static bool TryInteger(object? constant, out long result)
    {
        switch (constant)
        {
            case int i:
                result = i;
                return true;
            case long l:
                result = l;
                return true;
            case uint u:
                result = u;
                return true;
            case short s:
                result = s;
                return true;
            case ushort us:
                result = us;
                return true;
            case byte b:
                result = b;
                return true;
            case bool flag:
                result = flag ? 1 : 0;
                return true;
            default:
                result = 0;
                return false;
        }
    }
}
