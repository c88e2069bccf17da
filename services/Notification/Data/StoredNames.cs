using System.Reflection;
using Google.Protobuf.Reflection;

namespace Medins.Notification.Data;

/// <summary>
/// The word a proto enum value is stored as: its proto name without the enum's prefix (SKIP_REASON_OPTED_OUT is stored
/// as OPTED_OUT), so stored states and the contract's names are one vocabulary.
/// </summary>
public static class StoredNames
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum
    {
        // Every enum of the contracts opens with <PREFIX>UNSPECIFIED (C# Unspecified); the prefix is what precedes it.
        var prefix = ProtoName(default(TEnum))[..^default(TEnum).ToString().Length];
        var name = ProtoName(value);
        return name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
    }

    private static string ProtoName<TEnum>(TEnum value) where TEnum : struct, Enum =>
        typeof(TEnum).GetField(value.ToString(), BindingFlags.Public | BindingFlags.Static)?.GetCustomAttribute<OriginalNameAttribute>()?.Name
        ?? throw new ArgumentException($"{typeof(TEnum).Name}.{value} is not a value of a proto enum.", nameof(value));
}
