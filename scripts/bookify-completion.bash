# bash completion for bookify (installed as
# share/bash-completion/completions/bookify).
_bookify()
{
    local cur prev words cword split
    _init_completion -s 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        split=false
        if [[ $cur == --*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        fi
    }
    if [[ $COMP_CWORD -eq 1 && init == "$cur"* && $cur != -* ]]; then
        COMPREPLY=($(compgen -W init -- "$cur") $(compgen -d -- "$cur"))
        return
    fi
    case $prev in
    --epub | --pdf | --theme | --css | --config | --dump-layout)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    -o | --output-dir | --dump-xhtml)
        COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    --order)
        COMPREPLY=($(compgen -W "date date-desc title file category" -- "$cur"))
        return ;;
    --page-size)
        COMPREPLY=($(compgen -W "A4 A5 A6 B5 Letter Legal 6x9in 148x210mm" -- "$cur"))
        return ;;
    --toc-depth)
        COMPREPLY=($(compgen -W "1 2 3 4 5 6" -- "$cur"))
        return ;;
    --diagnostics)
        COMPREPLY=($(compgen -W "text json" -- "$cur"))
        return ;;
    --title | --subtitle | --author | --lang | --category | --tag | --since | --until | -j | --jobs | \
        --max-post-size | --max-image-size | --max-image-pixels)
        return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--epub --epub= --pdf --pdf= --output-dir= --list --check --dump-xhtml=
            --css= --embed-fonts --toc-depth= --theme= --page-size= --dump-layout= --config= --title=
            --subtitle= --author= --lang= --order= --category= --tag= --since= --until= --drafts
            --future --no-smart --no-highlight --max-post-size= --max-image-size= --max-image-pixels= --jobs=
            --quiet --verbose --strict --diagnostics= --help --version" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    COMPREPLY=($(compgen -d -- "$cur"))
}
complete -F _bookify bookify
