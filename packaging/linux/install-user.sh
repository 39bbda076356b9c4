#!/usr/bin/env bash
# Install a built ehrdesk for this user only, without root:
#
#   packaging/linux/install-user.sh [BUILT_FOLDER]     (default: dist/ehrdesk)
#
# puts
#   the app           ${XDG_DATA_HOME:-~/.local/share}/ehrdesk-app/
#   a launcher        ~/.local/bin/ehrdesk  (a symbolic link to the app)
#   the menu entry    ${XDG_DATA_HOME:-~/.local/share}/applications/org.ehrdesk.EhrDesk.desktop
#   the icons         ${XDG_DATA_HOME:-~/.local/share}/icons/hicolor/*/apps/org.ehrdesk.EhrDesk.*
#
# The practice's records live in ${XDG_DATA_HOME:-~/.local/share}/ehrdesk/, a different
# folder: installing, reinstalling and uninstall-user.sh never touch it.
# Run it again to update; packaging/linux/uninstall-user.sh removes exactly what it put.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
app_id=org.ehrdesk.EhrDesk
built="${1:-$repo/dist/ehrdesk}"

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
app_dir="$data_home/ehrdesk-app"
practice_dir="$data_home/ehrdesk"
bin_dir="$HOME/.local/bin"
launcher="$bin_dir/ehrdesk"
applications="$data_home/applications"
icons="$data_home/icons/hicolor"
marker=".installed-by-ehrdesk"

fail() { echo "install-user: $*" >&2; exit 1; }

[[ "$data_home" == /* ]] || fail "XDG_DATA_HOME must be an absolute path (it is '$data_home')."
[[ -x "$built/ehrdesk" ]] ||
    fail "no built ehrdesk in $built: run tools/package first, or name the built folder."
# The menu entry names the app's path inside Exec= (and sed writes it there): refuse
# the few characters that would need escaping rather than escape them.
unsafe='["`$\\%|&]'
if [[ "$app_dir" =~ $unsafe || "$app_dir" == *$'\n'* ]]; then
    fail "cannot write a menu entry for the folder $app_dir; set XDG_DATA_HOME to a plainer path."
fi
if [[ -e "$app_dir" && ! -e "$app_dir/$marker" ]]; then
    fail "$app_dir exists but was not made by this script; move it away first."
fi
if [[ -e "$launcher" || -L "$launcher" ]] && [[ "$(readlink "$launcher")" != "$app_dir/ehrdesk" ]]; then
    fail "$launcher already exists and is not ehrdesk's launcher; move it away first."
fi

# The app: copied beside the old one, then swapped in, so a failed copy leaves the old
# version working (and a running ehrdesk keeps the files it has open).
mkdir -p "$data_home"
staging="$(mktemp -d "$data_home/.ehrdesk-app.new.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
cp -a "$built/." "$staging/"
echo "Installed by packaging/linux/install-user.sh; uninstall-user.sh removes this folder." \
    >"$staging/$marker"
chmod 755 "$staging"
if [[ -e "$app_dir" ]]; then
    old="$(mktemp -d "$data_home/.ehrdesk-app.old.XXXXXX")"
    mv "$app_dir" "$old/app"
    mv "$staging" "$app_dir"
    rm -rf "$old"
else
    mv "$staging" "$app_dir"
fi
trap - EXIT

mkdir -p "$bin_dir"
ln -sfn "$app_dir/ehrdesk" "$launcher"

# The menu entry runs the installed app by its full path, so it works even where
# ~/.local/bin is not on the desktop session's PATH.
mkdir -p "$applications"
sed -e "s|^Exec=.*|Exec=\"$app_dir/ehrdesk\"|" -e "s|^TryExec=.*|TryExec=$app_dir/ehrdesk|" \
    "$here/$app_id.desktop" >"$applications/$app_id.desktop"

for png in "$repo"/resources/icons/hicolor/*/apps/"$app_id.png"; do
    size_dir="$(basename "$(dirname "$(dirname "$png")")")"
    install -D -m 644 "$png" "$icons/$size_dir/apps/$app_id.png"
done
install -D -m 644 "$repo/resources/icons/$app_id.svg" "$icons/scalable/apps/$app_id.svg"

if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$icons" || true
fi

echo "ehrdesk is installed in $app_dir"
echo "  start it from the applications menu, or run: $launcher"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "  ($bin_dir is not on your PATH yet; it usually is after you log in again)" ;;
esac
echo "Your practice's records stay in $practice_dir; this script does not touch them."
