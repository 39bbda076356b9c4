#!/usr/bin/env bash
# Remove what packaging/linux/install-user.sh installed, and nothing else:
#
#   packaging/linux/uninstall-user.sh
#
# Removed: ${XDG_DATA_HOME:-~/.local/share}/ehrdesk-app/ (only if install-user.sh made
# it), the ~/.local/bin/ehrdesk link (only if it points there), the menu entry and the
# icons; then the folders this left empty, and icon and menu caches that describe
# nothing any more.
#
# Never touched: the practice's records in ${XDG_DATA_HOME:-~/.local/share}/ehrdesk/,
# its backups, or the Emergency Kit. To delete a practice, delete that folder yourself,
# after you are sure you have a backup you can restore.
set -euo pipefail

app_id=org.ehrdesk.EhrDesk
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
app_dir="$data_home/ehrdesk-app"
practice_dir="$data_home/ehrdesk"
bin_dir="$HOME/.local/bin"
launcher="$bin_dir/ehrdesk"
applications="$data_home/applications"
icons="$data_home/icons/hicolor"
marker=".installed-by-ehrdesk"

fail() { echo "uninstall-user: $*" >&2; exit 1; }

[[ "$data_home" == /* ]] || fail "XDG_DATA_HOME must be an absolute path (it is '$data_home')."
if [[ -e "$app_dir" && ! -e "$app_dir/$marker" ]]; then
    fail "$app_dir was not made by install-user.sh; not removing it."
fi

# Only what this script's own names point at; each removal is one of these paths.
if [[ -L "$launcher" && "$(readlink "$launcher")" == "$app_dir/ehrdesk" ]]; then
    rm -f "$launcher"
fi
rm -f "$applications/$app_id.desktop"
rm -f "$icons"/*/apps/"$app_id.png" "$icons/scalable/apps/$app_id.svg"
if [[ -e "$app_dir" ]]; then
    rm -rf "$app_dir"
fi

# Caches: rebuilt if other programs still have entries, removed if they describe
# nothing (so an uninstall leaves no trace in a home folder that had none).
only_cache_left() {  # folder, cache file name
    [[ -d "$1" ]] && [[ -z "$(find "$1" -type f ! -path "$1/$2" -print -quit)" ]]
}
if only_cache_left "$icons" icon-theme.cache; then
    rm -f "$icons/icon-theme.cache"
elif [[ -d "$icons" ]] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$icons" || true
fi
if only_cache_left "$applications" mimeinfo.cache; then
    rm -f "$applications/mimeinfo.cache"
elif [[ -d "$applications" ]] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$applications" || true
fi

# Folders left empty (rmdir refuses any that still hold something).
for size_dir in "$icons"/*/; do
    rmdir "$size_dir/apps" "$size_dir" 2>/dev/null || true
done
rmdir "$icons" "$data_home/icons" "$applications" "$bin_dir" 2>/dev/null || true

echo "ehrdesk is uninstalled."
if [[ -d "$practice_dir" ]]; then
    echo "Your practice's records are still in $practice_dir (not touched)."
fi
